"""`load_policy`: a policy file as the runtime objects a deployment uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from trust import _validators as check
from trust._clock import Clock
from trust._errors import InvalidTypeError, InvalidValueError
from trust.circuit_breaker import PostureCircuitBreaker
from trust.constraints import (
    ConstraintDimension,
    ConstraintDimensionRegistry,
    EvaluationResult,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.constraints.builtin import register_builtin_dimensions
from trust.policy._build import build, builtin_names
from trust.policy._errors import PolicyError
from trust.policy._findings import Finding, Level
from trust.policy._model import AgentSpec, ConstraintSet, PolicySpec
from trust.policy._read import read_document
from trust.postures import PostureStateMachine

REQUESTER = "policy"
"""The requester recorded for the initial postures a policy sets."""


def _code(dimensions: object) -> dict[str, ConstraintDimension]:
    if isinstance(dimensions, str | bytes | Mapping) or not isinstance(dimensions, Iterable):
        raise InvalidTypeError(
            f"dimensions must be a list of ConstraintDimension, got {check.shown(dimensions)}"
        )
    code: dict[str, ConstraintDimension] = {}
    builtin = builtin_names()
    for dimension in list(dimensions):
        if not isinstance(dimension, ConstraintDimension):
            raise InvalidTypeError(
                f"dimensions must hold ConstraintDimension items, got {check.shown(dimension)}"
            )
        name = check.identifier(dimension.name, "dimension name")
        if name in builtin or name in code:
            raise InvalidValueError(
                f"dimensions must be custom dimensions with distinct names, got {name!r} "
                f"{'(a built-in)' if name in builtin else 'twice'}"
            )
        code[name] = dimension
    return code


def read_policy(path: object, *, dimensions: Iterable[ConstraintDimension] = ()) -> PolicySpec:
    """Read and check a policy file, without building runtime objects.

    Args:
        path: The file.
        dimensions: The code of custom dimensions it declares; one without code stands
            in as a dimension whose values compare only by equality and that passes no
            context.

    Raises:
        InvalidTypeError: ``path`` is not a str or Path, or ``dimensions`` holds
            something other than a `ConstraintDimension`.
        PolicyError: The file cannot be used; with every problem found.
    """
    return build(read_document(path), _code(dimensions))


class Policy:
    """A loaded policy: the registry, the evaluator, the posture machine and the breakers.

    Attributes:
        spec: What the file says (`PolicySpec`): agents, roles, delegations.
        registry: The six built-ins (with the file's dimension settings) and the custom
            dimensions, pending review unless the file names a reviewer.
        evaluator: A `MultiDimensionEvaluator` over ``registry``.
        machine: A `PostureStateMachine` with the file's defaults, each agent's initial
            posture set by an administrative, recorded `set_posture`.
        breakers: A `PostureCircuitBreaker` per agent that has a breaker config, on
            ``machine``.
    """

    def __init__(
        self,
        spec: PolicySpec,
        code: Mapping[str, ConstraintDimension],
        clock: Clock | None,
    ) -> None:
        self.spec = spec
        self.registry = ConstraintDimensionRegistry()
        register_builtin_dimensions(
            self.registry, clock=clock, internal_domains=spec.internal_domains
        )
        for name, custom in spec.custom.items():
            self.registry.register(code[name], requires_review=True)
            if custom.reviewed_by is not None:
                self.registry.approve_dimension(name, custom.reviewed_by)
        self.evaluator = MultiDimensionEvaluator(self.registry)
        self.machine = PostureStateMachine(
            spec.default_posture, spec.require_upgrade_approval, clock=clock
        )
        for agent in spec.agents.values():
            if agent.posture is not None:
                self.machine.set_posture(
                    agent.id,
                    agent.posture,
                    reason=f"initial posture from the policy {spec.file}",
                    requester_id=REQUESTER,
                )
        self.breakers: Mapping[str, PostureCircuitBreaker] = MappingProxyType(
            {
                agent.id: PostureCircuitBreaker(self.machine, agent.breaker, clock=clock)
                for agent in spec.agents.values()
                if agent.breaker is not None
            }
        )

    def agent(self, agent_id: str) -> AgentSpec:
        """The agent ``agent_id`` as the policy gives it.

        Raises:
            InvalidValueError: The policy has no such agent.
        """
        found = self.spec.agents.get(agent_id) if type(agent_id) is str else None
        if found is None:
            raise InvalidValueError(
                f"agent_id must be an agent of the policy {self.spec.file}, got "
                f"{check.shown(agent_id)}"
            )
        return found

    def constraints(self, agent_id: str) -> ConstraintSet:
        """The agent's constraint set and mode: what `evaluate` checks (see `AgentSpec`)."""
        return self.agent(agent_id).constraints

    def evaluate(self, agent_id: str, context: Mapping[str, Any]) -> EvaluationResult:
        """Check ``context`` against the agent's constraint set under its mode.

        An agent the policy does not name is refused (not raised): nothing grants it
        anything.
        """
        found = self.spec.agents.get(agent_id) if type(agent_id) is str else None
        if found is None:
            reason = f"agent {check.shown(agent_id)} is not in the policy {self.spec.file}"
            return EvaluationResult(
                satisfied=False,
                dimension_results={},
                interaction_mode=InteractionMode.CONJUNCTIVE,
                failed_dimensions=(),
                warnings=(reason,),
            )
        chosen = found.constraints
        return self.evaluator.evaluate(chosen.constraints, context, chosen.mode, agent_id)

    def __repr__(self) -> str:
        return (
            f"Policy({self.spec.file!r}: {len(self.spec.agents)} agents, "
            f"{len(self.spec.roles)} roles, {len(self.spec.delegations)} delegations)"
        )


def load_policy(
    path: object,
    *,
    dimensions: Iterable[ConstraintDimension] = (),
    clock: Clock | None = None,
) -> Policy:
    """Load a policy file into the runtime objects (see `Policy` and docs/policy.md).

    >>> import pathlib, tempfile
    >>> file = pathlib.Path(tempfile.mkdtemp(), "policy.toml")
    >>> _ = file.write_text('''
    ... version = 1
    ... [agents.researcher]
    ... posture = "assisted"
    ... constraints = { cost_limit = 500, resources = ["papers/**"] }
    ... ''')
    >>> policy = load_policy(file)
    >>> policy.machine.get_posture("researcher").value
    'assisted'
    >>> action = {"cost_used": 120, "resource_requested": "papers/a.pdf"}
    >>> policy.evaluate("researcher", action).satisfied
    True

    Args:
        path: The policy file.
        dimensions: The code of every custom dimension the file declares.
        clock: The clock of the machine, the breakers and ``time_window`` (default: the
            system clock).

    Raises:
        InvalidTypeError: ``path`` is not a str or Path, or ``dimensions`` holds
            something other than a `ConstraintDimension`.
        InvalidValueError: ``dimensions`` names a built-in, a name twice, or a dimension
            the file does not declare.
        PolicyError: The file cannot be used (every problem, with its line), or it
            declares a custom dimension ``dimensions`` does not bring.
    """
    code = _code(dimensions)
    spec = build(read_document(path), code)
    undeclared = sorted(set(code) - set(spec.custom))
    if undeclared:
        raise InvalidValueError(
            f"dimensions must be declared in {spec.file} (under [dimensions.NAME] with custom "
            f"= true), got undeclared {undeclared}"
        )
    missing = [
        Finding(
            rule="policy.missing-dimension",
            level=Level.ERROR,
            message=(
                f"custom dimension {name!r} needs its code: load_policy(path, "
                f"dimensions=[...]) must bring a ConstraintDimension named {name!r}"
            ),
            location=spec.location(("dimensions", name)),
        )
        for name in spec.custom
        if name not in code
    ]
    if missing:
        raise PolicyError(spec.file, missing)
    return Policy(spec, code, clock)


__all__ = ["REQUESTER", "Policy", "load_policy", "read_policy"]
