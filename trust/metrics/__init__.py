"""Trust metrics: what the posture, breaker and constraint systems did, for monitoring."""

from trust.metrics._collector import OVERFLOW_LABEL, TrustMetricsCollector, flag_key
from trust.metrics._exposition import escape_label_value
from trust.metrics._families import MetricFamily, MetricKind, MetricSample
from trust.metrics._snapshots import ConstraintMetrics, PostureMetrics

__all__ = [
    "OVERFLOW_LABEL",
    "ConstraintMetrics",
    "MetricFamily",
    "MetricKind",
    "MetricSample",
    "PostureMetrics",
    "TrustMetricsCollector",
    "escape_label_value",
    "flag_key",
]
