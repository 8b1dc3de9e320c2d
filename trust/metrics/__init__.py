"""Trust metrics: what the posture, breaker and constraint systems did, for monitoring."""

from trust.metrics._collector import OVERFLOW_LABEL, TrustMetricsCollector, flag_key
from trust.metrics._exposition import escape_label_value
from trust.metrics._snapshots import ConstraintMetrics, PostureMetrics
from trust.postures import POSTURE_LEVEL_MAP

__all__ = [
    "OVERFLOW_LABEL",
    "POSTURE_LEVEL_MAP",
    "ConstraintMetrics",
    "PostureMetrics",
    "TrustMetricsCollector",
    "escape_label_value",
    "flag_key",
]
