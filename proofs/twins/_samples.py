"""Concrete cases `proofs.verify_dimension` holds each built-in's runtime to.

Small, fixed and chosen so that every pair relates in each way the dimension allows
(nested, equal, overlapping, disjoint) and every context falls inside, on the edge of and
outside some value. Every context names each key its dimension reads: a missing
``current_time`` would be read from the clock, and a verdict must not depend on when it
is asked.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

COST_VALUES: tuple[Any, ...] = (0, 1, 100, 250.5, 1000)
COST_CONTEXTS: tuple[dict[str, Any], ...] = (
    *[{"cost_used": used} for used in (0, 1, 99.5, 100, 250.5, 251, 1000, 1001)],
    {},
)

TIME_VALUES: tuple[Any, ...] = (
    "09:00-17:00",
    "08:00-12:00",
    "10:00-11:00",
    "22:00-06:00",
    "00:00-24:00",
    "09:00-17:00 Europe/Berlin",
)
TIME_CONTEXTS: tuple[dict[str, Any], ...] = (
    {"current_time": time(7, 59)},
    {"current_time": time(8, 30)},
    {"current_time": time(10, 30)},
    {"current_time": time(12, 0)},
    {"current_time": time(17, 0)},
    {"current_time": time(23, 0)},
    {"current_time": datetime(2025, 1, 15, 8, 30, tzinfo=UTC)},
    {"current_time": datetime(2025, 7, 1, 15, 30, tzinfo=UTC)},
    {"current_time": 0},
)

RESOURCE_VALUES: tuple[Any, ...] = (
    ["data/**"],
    ["data/reports/**"],
    ["data/*.json"],
    ["logs/*.log"],
    ["data/**", "logs/*.log"],
)
RESOURCE_CONTEXTS: tuple[dict[str, Any], ...] = (
    *[
        {"resource_requested": path}
        for path in ("data/x.json", "data/reports/q1", "data/reports/a.json", "logs/a.log", "etc")
    ],
    {},
)

RATE_VALUES: tuple[Any, ...] = ("10/second", "100/minute", "1000/hour", "100/minute, 1000/hour", 0)
RATE_CONTEXTS: tuple[dict[str, Any], ...] = (
    *[{"requests_in_period": n} for n in (0, 5, 50, 150, 5000)],
    {"requests_by_period": {"second": 3, "minute": 80, "hour": 900}},
    {},
)

DATA_VALUES: tuple[Any, ...] = (
    "no_pii",
    "internal_only",
    "allow_all",
    {"mode": "allow_all", "allowed_classifications": ["public", "internal"]},
    {"mode": "no_pii", "allowed_classifications": ["public"]},
)
DATA_CONTEXTS: tuple[dict[str, Any], ...] = (
    *[
        {"contains_pii": pii, "data_classification": name}
        for pii in (False, True)
        for name in ("public", "internal", "secret")
    ],
    {"contains_pii": False},
    {},
)

COMMUNICATION_VALUES: tuple[Any, ...] = (
    "none",
    {"mode": "allowed_domains", "allowed_domains": ["openai.com"]},
    {"mode": "allowed_domains", "allowed_domains": ["api.openai.com"]},
    {"mode": "allowed_domains", "allowed_domains": ["api.openai.com", "anthropic.com"]},
    {"mode": "allowed_domains", "allowed_domains": ["anthropic.com", "10.0.0.0/30"]},
)
COMMUNICATION_CONTEXTS: tuple[dict[str, Any], ...] = (
    *[
        {"communication_target": target}
        for target in ("api.openai.com", "openai.com", "anthropic.com", "evil.com", "10.0.0.9")
    ],
    {"communication_target": "10.0.0.1"},
    {},
)
