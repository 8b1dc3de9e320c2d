"""Policy files: a deployment's agents, roles, constraint sets and delegations, in TOML.

`load_policy` reads a file into the runtime objects (registry, evaluator, posture
machine, breakers); `read_policy` reads and checks it only. A file that cannot be used
raises `PolicyError` with every problem, each placed on its line. The format is in
``docs/policy.md``; ``schema.json`` (shipped beside this module) is its JSON Schema for
editors, and the loader checks files against the same schema. ``care-trust check`` and
``care-trust diff`` (`trust.proofs.policy`) analyse policy files.
"""

from trust.policy._errors import PolicyError
from trust.policy._findings import Finding, Level, Location, Report
from trust.policy._model import (
    AgentSpec,
    ConstraintSet,
    CustomDimensionSpec,
    DelegationSpec,
    PolicySpec,
    RoleSpec,
)
from trust.policy._read import MAX_DEPTH, MAX_POLICY_BYTES
from trust.policy._runtime import REQUESTER, Policy, load_policy, read_policy

__all__ = [
    "MAX_DEPTH",
    "MAX_POLICY_BYTES",
    "REQUESTER",
    "AgentSpec",
    "ConstraintSet",
    "CustomDimensionSpec",
    "DelegationSpec",
    "Finding",
    "Level",
    "Location",
    "Policy",
    "PolicyError",
    "PolicySpec",
    "Report",
    "RoleSpec",
    "load_policy",
    "read_policy",
]
