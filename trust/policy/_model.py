"""What a policy file says, checked: frozen values that the runtime and the analyses read.

`trust.policy._read` builds a `PolicySpec` from a file (or refuses it with every problem);
`trust.policy.load_policy` turns it into runtime objects, and ``care-trust check`` and
``care-trust diff`` analyse it. Each value keeps the key path it came from, so a finding
can name the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from trust.circuit_breaker import CircuitBreakerConfig
from trust.constraints import InteractionMode
from trust.policy._findings import Location
from trust.policy._locate import line_of
from trust.policy._schema import KeyPath
from trust.postures import TrustPosture


def _frozen(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class ConstraintSet:
    """A constraint set and the mode it is evaluated under: the evaluator's inputs.

    Attributes:
        constraints: ``{dimension name: raw value}``, in priority order (read-only).
        mode: The interaction mode.
        path: The key path of the ``constraints`` table it was written in.
    """

    constraints: Mapping[str, Any] = attrs.field(converter=_frozen)
    mode: InteractionMode = InteractionMode.CONJUNCTIVE
    path: KeyPath = ()


@attrs.frozen(kw_only=True)
class RoleSpec:
    """A role: a constraint set, and the posture and breaker its agents start with.

    Attributes:
        id: The role id.
        posture: The initial posture of its agents (None: the machine's default).
        constraints: The role's set.
        breaker: The breaker config its agents get (None: no breaker).
    """

    id: str
    description: str = ""
    posture: TrustPosture | None = None
    constraints: ConstraintSet
    breaker: CircuitBreakerConfig | None = None


@attrs.frozen(kw_only=True)
class AgentSpec:
    """An agent as the runtime gets it, its role taken into account.

    Attributes:
        id: The agent id.
        role: Its role id, or None.
        posture: Its initial posture: its own, else its role's, else None (the machine's
            default).
        written: The constraint set written on the agent itself.
        constraints: What it is evaluated against: ``written`` composed with its role's
            set, dimension by dimension (a role's set is CONJUNCTIVE when the agent
            adds to it), or the role's set alone.
        breaker: Its breaker config (its role's fields, overridden by its own), or None.
    """

    id: str
    description: str = ""
    role: str | None = None
    posture: TrustPosture | None = None
    written: ConstraintSet
    constraints: ConstraintSet
    breaker: CircuitBreakerConfig | None = None


@attrs.frozen(kw_only=True)
class DelegationSpec:
    """``parent`` delegates to ``child`` (agent or role ids); ``index`` in ``[[delegations]]``."""

    parent: str
    child: str
    index: int
    description: str = ""

    @property
    def path(self) -> KeyPath:
        return ("delegations", str(self.index))


@attrs.frozen(kw_only=True)
class CustomDimensionSpec:
    """A custom dimension the deployment registers in code; ``reviewed_by`` approves it."""

    name: str
    reviewed_by: str | None = None
    description: str = ""


@attrs.frozen(kw_only=True)
class PolicySpec:
    """A policy file, checked.

    Attributes:
        file: The file as the caller named it.
        default_posture: The machine's default posture.
        require_upgrade_approval: The machine's upgrade rule.
        internal_domains: ``communication``'s internal domains (None: its defaults).
        custom: The custom dimensions, by name.
        roles: The roles, by id, in file order.
        agents: The agents, by id, in file order.
        delegations: The delegations, in file order.
        lines: Where each key path is (see `location`).
    """

    file: str
    default_posture: TrustPosture = TrustPosture.SUPERVISED
    require_upgrade_approval: bool = True
    internal_domains: tuple[str, ...] | None = None
    custom: Mapping[str, CustomDimensionSpec] = attrs.field(factory=dict, converter=_frozen)
    roles: Mapping[str, RoleSpec] = attrs.field(factory=dict, converter=_frozen)
    agents: Mapping[str, AgentSpec] = attrs.field(factory=dict, converter=_frozen)
    delegations: tuple[DelegationSpec, ...] = ()
    lines: Mapping[KeyPath, int] = attrs.field(factory=dict, converter=_frozen, repr=False)

    def location(self, path: KeyPath) -> Location:
        """Where ``path`` is written (its nearest written enclosing key, if it is not)."""
        return Location(file=self.file, line=line_of(self.lines, path), key_path=path)

    def subject(self, ident: str) -> ConstraintSet | None:
        """The constraint set of the agent or role ``ident`` (agents' as evaluated)."""
        agent = self.agents.get(ident)
        if agent is not None:
            return agent.constraints
        role = self.roles.get(ident)
        return None if role is None else role.constraints

    def kind(self, ident: str) -> str:
        """``"agent"`` or ``"role"``."""
        return "agent" if ident in self.agents else "role"


__all__ = [
    "AgentSpec",
    "ConstraintSet",
    "CustomDimensionSpec",
    "DelegationSpec",
    "PolicySpec",
    "RoleSpec",
]
