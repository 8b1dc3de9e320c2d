"""``care-trust check`` and ``care-trust diff``: analyses of policy files (docs/policy.md).

`check_policy` proves every delegation hop of a file and lints it; `diff_policies` says
whether a new version grants more than the old, with a witness for each widening. Both
return a `Report` of `Finding` values (`trust.policy`) that the command layer
renders; a file that cannot be used raises `trust.policy.PolicyError`.
"""

from trust.proofs.policy._check import check_policy
from trust.proofs.policy._diff import diff_policies

__all__ = ["check_policy", "diff_policies"]
