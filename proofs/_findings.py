"""What a ``care-trust`` command found: `trust._findings`, where the runtime defines it.

Findings live in the runtime because `trust.policy.PolicyError` carries them and ``import
trust`` loads no z3; the command layer and the analyses import them from here or there,
and get the same classes.
"""

from trust._findings import Finding, Level, Location, Report

__all__ = ["Finding", "Level", "Location", "Report"]
