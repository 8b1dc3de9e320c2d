"""From a parsed policy file to a `PolicySpec`, or every problem with it.

The structure is checked against ``schema.json`` (`trust.policy._schema`); this module
checks what a schema cannot say, and reports every problem, not the first: ids the
runtime refuses (blank, invisible characters, look-alikes), dimension names that are
neither built in nor declared custom (with the nearest name), values a dimension's own
``parse`` refuses, modes and priorities, roles and their agents, breaker configs that
`CircuitBreakerConfig` refuses, and delegations to ids that do not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from trust import _validators as check
from trust._shown import error_text
from trust.circuit_breaker import CircuitBreakerConfig
from trust.constraints import ConstraintDimension, ConstraintDimensionRegistry, InteractionMode
from trust.constraints.builtin import register_builtin_dimensions
from trust.policy._delegations import read_delegations
from trust.policy._model import (
    AgentSpec,
    ConstraintSet,
    CustomDimensionSpec,
    PolicySpec,
    RoleSpec,
)
from trust.policy._opaque import OpaqueDimension
from trust.policy._read import Document, Problems
from trust.policy._schema import KeyPath, problems, suggestion
from trust.postures import TrustPosture

_BREAKER_FIELDS = tuple(a.name for a in attrs.fields(CircuitBreakerConfig) if a.init)


def builtin_names() -> tuple[str, ...]:
    """The names of the six built-in dimensions, as `register_builtin_dimensions` gives them."""
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    return tuple(name for name, _ in registry.all())


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _posture(value: object) -> TrustPosture | None:
    try:
        return None if value is None else TrustPosture.coerce(value)
    except ValueError:
        return None  # the schema reported it


def _mode(value: object) -> InteractionMode:
    try:
        return InteractionMode.coerce(value)
    except ValueError:
        return InteractionMode.CONJUNCTIVE  # the schema reported it


class _Builder:
    def __init__(self, document: Document, code: Mapping[str, ConstraintDimension]) -> None:
        self.document = document
        self.problems = Problems(document.file, document.lines)
        self.code = code
        self.builtin = builtin_names()
        self.registry = ConstraintDimensionRegistry()
        self.custom: dict[str, CustomDimensionSpec] = {}
        self.internal_domains: tuple[str, ...] | None = None

    def add(self, rule: str, path: KeyPath, message: str) -> None:
        self.problems.add(rule, path, message)

    def identifier(self, value: object, path: KeyPath, what: str) -> bool:
        try:
            check.identifier(value, what)
        except ValueError as error:
            self.add("policy.invalid-id", path, str(error))
            return False
        return True

    # -- dimensions ----------------------------------------------------------------

    def dimensions(self, table: dict[str, Any]) -> None:
        settings = _table(table.get("communication"))
        domains = settings.get("internal_domains")
        if isinstance(domains, list) and all(isinstance(d, str) for d in domains):
            self.internal_domains = tuple(domains)
        try:
            register_builtin_dimensions(self.registry, internal_domains=self.internal_domains)
        except ValueError as error:
            where: KeyPath = ("dimensions", "communication", "internal_domains")
            self.add("policy.value", where, f"internal_domains is refused: {error_text(error)}")
            self.internal_domains = None
            register_builtin_dimensions(self.registry)
        for name, entry in table.items():
            if name in self.builtin or not isinstance(entry, dict):
                continue
            path = ("dimensions", name)
            if entry.get("custom") is not True:
                hint = suggestion(name, self.builtin)
                if hint:
                    self.add(
                        "policy.unknown-dimension",
                        path,
                        f"unknown dimension {name!r}{hint}; a custom dimension is declared "
                        "with custom = true",
                    )
                continue
            if not self.identifier(name, path, "dimension name"):
                continue
            reviewer = entry.get("reviewed_by")
            if isinstance(reviewer, str):
                self.identifier(reviewer, (*path, "reviewed_by"), "reviewed_by")
            self.custom[name] = CustomDimensionSpec(
                name=name,
                reviewed_by=reviewer if isinstance(reviewer, str) else None,
                description=str(entry.get("description", "")),
            )
            dimension = self.code.get(name)
            self.registry.register(OpaqueDimension(name) if dimension is None else dimension)

    def known(self) -> tuple[str, ...]:
        return (*self.builtin, *self.custom)

    # -- constraint sets -----------------------------------------------------------

    def constraint_set(
        self, table: dict[str, Any], path: KeyPath, mode: InteractionMode | None = None
    ) -> ConstraintSet:
        """The set of an agent or role table at ``path``; ``mode`` overrides the table's."""
        inherited = mode is not None
        if mode is None:
            mode = _mode(table.get("mode", "conjunctive"))
        at = (*path, "constraints")
        written = _table(table.get("constraints"))
        kept: dict[str, Any] = {}
        for name, raw in written.items():
            dimension = self.registry.get(name) if name in self.known() else None
            if dimension is None:
                self.add(
                    "policy.unknown-dimension",
                    (*at, name),
                    f"unknown dimension {name!r}{suggestion(name, self.known())}; the "
                    f"dimensions are {', '.join(self.known())} (declare a custom one under "
                    f"[dimensions.{name}] with custom = true)",
                )
                continue
            try:
                dimension.parse(raw)
            except Exception as error:
                self.add("policy.invalid-constraint", (*at, name), error_text(error))
                continue
            kept[name] = raw
        priority = table.get("priority")
        if inherited:
            pass  # the role's mode and priority (the agent may not set its own)
        elif mode is InteractionMode.HIERARCHICAL:
            kept = self.ordered(kept, written, priority, path)
        elif priority is not None:
            self.add(
                "policy.priority",
                (*path, "priority"),
                f"priority applies only to mode = 'hierarchical', got mode = {mode.value!r}",
            )
        return ConstraintSet(constraints=kept, mode=mode, path=at)

    def ordered(
        self, kept: dict[str, Any], written: dict[str, Any], priority: object, path: KeyPath
    ) -> dict[str, Any]:
        at = (*path, "priority")
        if not isinstance(priority, list):
            self.add(
                "policy.priority",
                path,
                "mode = 'hierarchical' needs priority = [...], every dimension of the set in "
                "order (the first decides): TOML tables have no order a reader may rely on",
            )
            return kept
        names = [n for n in priority if isinstance(n, str)]
        missing = [n for n in written if n not in names]
        extra = [n for n in names if n not in written]
        if missing or extra:
            self.add(
                "policy.priority",
                at,
                f"priority must list every dimension of the set once, got {names}"
                + (f"; missing {missing}" if missing else "")
                + (f"; not in the set {extra}" if extra else ""),
            )
            return kept
        return {n: kept[n] for n in names if n in kept}

    def merged(self, role: ConstraintSet, own: ConstraintSet, path: KeyPath) -> ConstraintSet:
        """The agent's set with its role's: each shared dimension composed (CONJUNCTIVE)."""
        merged = dict(role.constraints)
        for name, raw in own.constraints.items():
            if name not in merged:
                merged[name] = raw
                continue
            dimension = self.registry.get(name)
            assert dimension is not None  # parsed above
            try:
                theirs, mine = dimension.parse(merged[name]), dimension.parse(raw)
                if dimension.validate_tightening(mine, theirs) is True:
                    continue  # the role's value is within the agent's: keep it
                if dimension.validate_tightening(theirs, mine) is not True:
                    merged[name] = dimension.compose([theirs, mine]).raw_value
                else:
                    merged[name] = raw
            except Exception as error:
                self.add(
                    "policy.invalid-constraint",
                    (*path, "constraints", name),
                    f"{name}: cannot compose the agent's value with its role's: "
                    f"{error_text(error)}",
                )
        return ConstraintSet(constraints=merged, mode=role.mode, path=own.path)

    # -- breakers, roles, agents ---------------------------------------

    def breaker(self, fields: dict[str, Any], path: KeyPath) -> CircuitBreakerConfig | None:
        fields = {k: v for k, v in fields.items() if k in _BREAKER_FIELDS}
        try:
            return CircuitBreakerConfig(**fields)
        except ValueError as error:
            placed = False
            for key, value in fields.items():
                try:
                    CircuitBreakerConfig(**{key: value})
                except ValueError as own:
                    self.add("policy.invalid-breaker", (*path, key), str(own))
                    placed = True
            if not placed:
                self.add("policy.invalid-breaker", path, str(error))
            return None

    def role(self, ident: str, table: dict[str, Any]) -> RoleSpec:
        path = ("roles", ident)
        fields = table.get("breaker")
        return RoleSpec(
            id=ident,
            description=str(table.get("description", "")),
            posture=_posture(table.get("posture")),
            constraints=self.constraint_set(table, path),
            breaker=None
            if not isinstance(fields, dict)
            else self.breaker(fields, (*path, "breaker")),
        )

    def agent(
        self, ident: str, table: dict[str, Any], roles: dict[str, Any], specs: dict[str, RoleSpec]
    ) -> AgentSpec:
        path = ("agents", ident)
        role_id = table.get("role")
        role_table = _table(roles.get(role_id)) if isinstance(role_id, str) else {}
        if isinstance(role_id, str) and role_id not in roles:
            self.add(
                "policy.unknown-reference",
                (*path, "role"),
                f"unknown role {role_id!r}{suggestion(role_id, roles)}",
            )
            role_id = None
        if not isinstance(role_id, str):
            written = self.constraint_set(table, path)
            effective = written
        else:
            for key in ("mode", "priority"):
                if key in table:
                    self.add(
                        "policy.role",
                        (*path, key),
                        f"an agent with a role takes its role's {key}: remove {key} from "
                        f"agents.{ident} (or its role)",
                    )
            role_set = specs[role_id].constraints
            written = self.constraint_set(table, path, role_set.mode)
            effective = role_set
            if written.constraints and role_set.mode is not InteractionMode.CONJUNCTIVE:
                self.add(
                    "policy.role",
                    (*path, "constraints"),
                    f"agents.{ident} adds constraints to role {role_id!r}, whose mode is "
                    f"{role_set.mode.value}: only a conjunctive role's set is narrowed by an "
                    "agent's own (both must pass); give the agent no constraints, or no role",
                )
            elif written.constraints:
                effective = self.merged(role_set, written, path)
        fields = {**_table(role_table.get("breaker")), **_table(table.get("breaker"))}
        has_breaker = "breaker" in table or "breaker" in role_table
        return AgentSpec(
            id=ident,
            description=str(table.get("description", "")),
            role=role_id if isinstance(role_id, str) else None,
            posture=_posture(table.get("posture", role_table.get("posture"))),
            written=written,
            constraints=effective,
            breaker=self.breaker(fields, (*path, "breaker")) if has_breaker else None,
        )

    def build(self) -> PolicySpec:
        data = self.document.data
        for problem in problems(data):
            self.add(problem.rule, problem.path, problem.message)
        self.dimensions(_table(data.get("dimensions")))
        roles_table, agents_table = _table(data.get("roles")), _table(data.get("agents"))
        roles = {
            i: t for i, t in roles_table.items() if self.identifier(i, ("roles", i), "role id")
        }
        agents = {
            i: t for i, t in agents_table.items() if self.identifier(i, ("agents", i), "agent id")
        }
        for ident in agents:
            if ident in roles:
                self.add(
                    "policy.duplicate-id",
                    ("agents", ident),
                    f"{ident!r} must name one agent or one role, got both (a delegation "
                    "names either by id)",
                )
        role_specs = {i: self.role(i, _table(t)) for i, t in roles.items()}
        agent_specs = {i: self.agent(i, _table(t), roles, role_specs) for i, t in agents.items()}
        entries = data.get("delegations")
        delegations = read_delegations(
            entries if isinstance(entries, list) else [], [*agents, *roles], self.problems
        )
        defaults = _table(data.get("defaults"))
        approval = defaults.get("require_upgrade_approval", True)
        self.problems.raise_any()
        return PolicySpec(
            file=self.document.file,
            default_posture=_posture(defaults.get("posture")) or TrustPosture.SUPERVISED,
            require_upgrade_approval=approval if isinstance(approval, bool) else True,
            internal_domains=self.internal_domains,
            custom=self.custom,
            roles=role_specs,
            agents=agent_specs,
            delegations=delegations,
            lines=self.document.lines,
        )


def build(document: Document, code: Mapping[str, ConstraintDimension] | None = None) -> PolicySpec:
    """Check ``document`` and build its `PolicySpec`.

    Args:
        document: The file, read.
        code: The custom dimensions' code, by name; a declared custom dimension without
            code stands in as an `OpaqueDimension` (compared by equality).

    Raises:
        PolicyError: With every problem found.
    """
    return _Builder(document, code or {}).build()


__all__ = ["build", "builtin_names"]
