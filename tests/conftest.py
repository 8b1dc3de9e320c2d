"""Hypothesis profiles: a modest one for CI, a deep one for local runs.

Select the deep profile with ``CARE_TRUST_HYPOTHESIS=deep python -m pytest``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.register_profile(
    "deep",
    max_examples=2000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("CARE_TRUST_HYPOTHESIS", "ci"))
