"""Every example of the guide's constraint sections runs unchanged, with ``kaizen.trust``
read as ``trust``.

Each code block is kept verbatim as a string (so it cannot drift into a paraphrase) and
executed by its own test. A block that uses names an earlier block defined gets exactly
those names as set-up. The assertions after each run check what the guide's comments
promise.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from trust.constraints.builtin._time import TimeWindows

# guide line 510
PROTOCOL = r'''
from abc import ABC, abstractmethod
from trust.constraints import ConstraintDimension, ConstraintValue, ConstraintCheckResult
from typing import Any, Dict, List

class ConstraintDimension(ABC):
    @property
    @abstractmethod
    def name(self) -> str:
        """Unique identifier (e.g., 'cost_limit')"""
        pass

    @property
    @abstractmethod
    def description(self) -> str:
        """Human-readable description"""
        pass

    @abstractmethod
    def parse(self, value: Any) -> ConstraintValue:
        """Parse raw value into ConstraintValue"""
        pass

    @abstractmethod
    def check(
        self,
        constraint: ConstraintValue,
        context: Dict[str, Any],
    ) -> ConstraintCheckResult:
        """Check if constraint is satisfied given context"""
        pass

    def validate_tightening(
        self,
        parent: ConstraintValue,
        child: ConstraintValue,
    ) -> bool:
        """Validate child constraint is tighter than parent (EATP requirement)"""
        # Default: numeric comparison where lower = tighter
        return float(child.parsed) <= float(parent.parsed)

    def compose(self, constraints: List[ConstraintValue]) -> ConstraintValue:
        """Combine multiple constraints into most restrictive"""
        # Default: pick minimum numeric value
        return min(constraints, key=lambda c: float(c.parsed))
'''

# guide line 559
VALUES = r"""
from trust.constraints import ConstraintValue, ConstraintCheckResult

# ConstraintValue holds parsed constraint data
value = ConstraintValue(
    dimension="cost_limit",
    raw_value="1000",
    parsed=1000.0,
    metadata={"unit": "cents"},
)

# ConstraintCheckResult reports evaluation outcome
result = ConstraintCheckResult(
    satisfied=True,
    reason="within budget",
    remaining=500.0,  # Optional: remaining capacity
    used=500.0,       # Optional: amount used
    limit=1000.0,     # Optional: the limit value
)
"""

# guide line 582
CUSTOM_DIMENSION = r'''
from trust.constraints import (
    ConstraintDimension,
    ConstraintValue,
    ConstraintCheckResult,
)
from typing import Any, Dict

class TokenLimitDimension(ConstraintDimension):
    """Limits tokens per request."""

    @property
    def name(self) -> str:
        return "token_limit"

    @property
    def description(self) -> str:
        return "Maximum tokens per request"

    @property
    def requires_audit(self) -> bool:
        return True  # Log all token usage

    def parse(self, value: Any) -> ConstraintValue:
        try:
            parsed = int(value)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Cannot parse token limit: {value}") from e

        if parsed < 0:
            raise ValueError(f"Token limit must be non-negative: {parsed}")

        return ConstraintValue(
            dimension=self.name,
            raw_value=value,
            parsed=parsed,
            metadata={},
        )

    def check(
        self,
        constraint: ConstraintValue,
        context: Dict[str, Any],
    ) -> ConstraintCheckResult:
        limit = constraint.parsed
        used = context.get("tokens_used", 0)

        remaining = max(0, limit - used)
        satisfied = used <= limit

        return ConstraintCheckResult(
            satisfied=satisfied,
            reason="within limit" if satisfied else f"exceeded by {used - limit}",
            remaining=float(remaining),
            used=float(used),
            limit=float(limit),
        )
'''

# guide line 647
REGISTERING = r"""
from trust.constraints import ConstraintDimensionRegistry
from trust.constraints.builtin import register_builtin_dimensions

# Create registry
registry = ConstraintDimensionRegistry()

# Register all built-in dimensions (auto-approved)
register_builtin_dimensions(registry)

# Register custom dimension (requires review)
registry.register(TokenLimitDimension(), requires_review=True)

# Check pending reviews
pending = registry.pending_review()  # ['token_limit']
"""

# guide line 668
REVIEW_WORKFLOW = r"""
# Dimension is registered but pending
assert registry.has("token_limit")
assert registry.get("token_limit") is None  # Cannot retrieve pending

# After security review, approve it
registry.approve_dimension("token_limit", reviewer="security-team")

# Now it can be used
dim = registry.get("token_limit")
assert dim is not None
"""

# guide line 702
TESTING_MODE = r"""
registry = ConstraintDimensionRegistry(allow_unreviewed=True)
registry.register(TokenLimitDimension(), requires_review=True)

# Can retrieve immediately in test mode
dim = registry.get("token_limit")
assert dim is not None
"""

# guide line 717
BASIC_EVALUATION = r"""
from trust.constraints import (
    ConstraintDimensionRegistry,
    MultiDimensionEvaluator,
    InteractionMode,
)
from trust.constraints.builtin import register_builtin_dimensions

# Setup
registry = ConstraintDimensionRegistry()
register_builtin_dimensions(registry)

evaluator = MultiDimensionEvaluator(
    registry=registry,
    enable_anti_gaming=True,
)

# Evaluate constraints against context
result = evaluator.evaluate(
    constraints={
        "cost_limit": 1000,
        "rate_limit": "100/minute",
    },
    context={
        "cost_used": 500,
        "requests_in_period": 50,
    },
    mode=InteractionMode.CONJUNCTIVE,
    agent_id="agent-001",
)

if result.satisfied:
    print("All constraints satisfied")
else:
    print(f"Failed dimensions: {result.failed_dimensions}")
"""

# guide line 763
INTERACTION_MODES = r"""
from trust.constraints import InteractionMode

# Conjunctive: ALL constraints must pass
result = evaluator.evaluate(
    constraints={"cost_limit": 100, "rate_limit": 10},
    context={"cost_used": 200, "requests_in_period": 5},
    mode=InteractionMode.CONJUNCTIVE,
)
# Failed: cost_limit failed even though rate_limit passed

# Disjunctive: ANY constraint passing is enough
result = evaluator.evaluate(
    constraints={"cost_limit": 100, "rate_limit": 10},
    context={"cost_used": 200, "requests_in_period": 5},
    mode=InteractionMode.DISJUNCTIVE,
)
# Passed: rate_limit passed

# Independent: Majority must pass
result = evaluator.evaluate(
    constraints={"cost_limit": 100, "rate_limit": 10, "time_window": "09:00-17:00"},
    context={"cost_used": 200, "requests_in_period": 5, "current_time": datetime.now()},
    mode=InteractionMode.INDEPENDENT,
)
# Depends on how many pass out of 3
"""

# guide line 795
ANTI_GAMING = r"""
result = evaluator.evaluate(
    constraints={"cost_limit": 1000},
    context={"cost_used": 960},  # 96% usage - boundary pushing
    agent_id="agent-001",
)

if result.anti_gaming_flags:
    for flag in result.anti_gaming_flags:
        print(f"Gaming detected: {flag}")
        # "boundary_pushing:cost_limit (usage_ratio=0.96)"
"""

# guide line 819
TIGHTENING = r"""
# Parent grants agent $100 budget
parent_constraints = {"cost_limit": 100}

# Valid: child tightens to $50
child_constraints = {"cost_limit": 50}
violations = evaluator.validate_tightening(parent_constraints, child_constraints)
assert violations == []  # Valid

# Invalid: child loosens to $200
child_constraints = {"cost_limit": 200}
violations = evaluator.validate_tightening(parent_constraints, child_constraints)
# ["Dimension 'cost_limit': child constraint (200) is looser than parent (100)"]
"""

# guide line 840
COST = r"""
from trust.constraints.builtin import CostLimitDimension

dim = CostLimitDimension()
constraint = dim.parse(1000.0)  # $10.00

result = dim.check(constraint, {"cost_used": 500.0})
assert result.satisfied  # Within budget
assert result.remaining == 500.0
"""

# guide line 857
TIME = r"""
from trust.constraints.builtin import TimeDimension
from datetime import datetime

dim = TimeDimension()
constraint = dim.parse("09:00-17:00")  # Business hours

result = dim.check(constraint, {"current_time": datetime(2025, 1, 15, 10, 30)})
assert result.satisfied  # 10:30 is within 09:00-17:00

# Overnight windows work too
constraint = dim.parse("22:00-06:00")  # Night shift
"""

# guide line 877
RESOURCES = r"""
from trust.constraints.builtin import ResourceDimension

dim = ResourceDimension()
constraint = dim.parse(["data/**", "logs/*.log"])

result = dim.check(constraint, {"resource_requested": "data/users.json"})
assert result.satisfied  # Matches data/**

result = dim.check(constraint, {"resource_requested": "secrets/api.key"})
assert not result.satisfied  # Does not match any pattern
"""

# guide line 896
RATE = r"""
from trust.constraints.builtin import RateLimitDimension

dim = RateLimitDimension()

# Simple count
constraint = dim.parse(100)

# With period
constraint = dim.parse("100/minute")  # Also: second, hour, day

result = dim.check(constraint, {"requests_in_period": 50})
assert result.satisfied
assert result.remaining == 50
"""

# guide line 918
DATA_ACCESS = r"""
from trust.constraints.builtin import DataAccessDimension

dim = DataAccessDimension()

# Simple mode
constraint = dim.parse("no_pii")
result = dim.check(constraint, {"contains_pii": True})
assert not result.satisfied  # PII blocked

# With classification
constraint = dim.parse({
    "mode": "allow_all",
    "allowed_classifications": ["internal", "external"],
})
result = dim.check(constraint, {"data_classification": "restricted"})
assert not result.satisfied  # Restricted not in allowed list
"""

# guide line 944
COMMUNICATION = r"""
from trust.constraints.builtin import CommunicationDimension

dim = CommunicationDimension()

# Block all external
constraint = dim.parse("none")

# Internal only
constraint = dim.parse("internal_only")
result = dim.check(constraint, {"communication_target": "api.internal.company.com"})
assert result.satisfied

# Allowed domains
constraint = dim.parse({
    "mode": "allowed_domains",
    "allowed_domains": ["api.openai.com", "anthropic.com"],
})
result = dim.check(constraint, {"communication_target": "api.openai.com"})
assert result.satisfied
"""

# guide line 1063
CUSTOM_EXAMPLE = r'''
from trust.constraints import (
    ConstraintDimension,
    ConstraintValue,
    ConstraintCheckResult,
    ConstraintDimensionRegistry,
)
from typing import Any, Dict, List

class ModelAccessDimension(ConstraintDimension):
    """Restricts which AI models an agent can use."""

    @property
    def name(self) -> str:
        return "model_access"

    @property
    def description(self) -> str:
        return "Allowed AI models for agent"

    @property
    def requires_audit(self) -> bool:
        return True

    def parse(self, value: Any) -> ConstraintValue:
        if isinstance(value, str):
            models = [value]
        elif isinstance(value, (list, tuple)):
            models = list(value)
        else:
            raise ValueError(f"Model access must be string or list: {value}")

        return ConstraintValue(
            dimension=self.name,
            raw_value=value,
            parsed=set(m.lower() for m in models),
            metadata={"model_count": len(models)},
        )

    def check(
        self,
        constraint: ConstraintValue,
        context: Dict[str, Any],
    ) -> ConstraintCheckResult:
        allowed_models = constraint.parsed
        requested_model = context.get("model", "").lower()

        if not requested_model:
            return ConstraintCheckResult(
                satisfied=True,
                reason="no model requested",
            )

        if requested_model in allowed_models:
            return ConstraintCheckResult(
                satisfied=True,
                reason=f"model '{requested_model}' is allowed",
            )

        return ConstraintCheckResult(
            satisfied=False,
            reason=f"model '{requested_model}' not in allowed list: {allowed_models}",
        )

    def validate_tightening(
        self,
        parent: ConstraintValue,
        child: ConstraintValue,
    ) -> bool:
        # Child must be subset of parent
        return child.parsed.issubset(parent.parsed)

    def compose(self, constraints: List[ConstraintValue]) -> ConstraintValue:
        # Intersection of all allowed models
        if not constraints:
            raise ValueError("Cannot compose empty constraints")

        result = constraints[0].parsed.copy()
        for c in constraints[1:]:
            result &= c.parsed

        return ConstraintValue(
            dimension=self.name,
            raw_value=list(result),
            parsed=result,
            metadata={"composed": True},
        )

# Register with security review
registry = ConstraintDimensionRegistry()
registry.register(ModelAccessDimension(), requires_review=True)

# After security review
registry.approve_dimension("model_access", reviewer="security-team")

# Use
evaluator = MultiDimensionEvaluator(registry)
result = evaluator.evaluate(
    constraints={"model_access": ["gpt-4", "claude-3"]},
    context={"model": "gpt-4"},
)
assert result.satisfied
'''

# The constraint parts of "Complete Example: Posture + Constraints + Circuit Breaker" (guide
# line 973): its imports, step 3, and the constraint check that opens step 6. The posture,
# breaker and metrics parts belong to those components' suites.
COMPLETE_EXAMPLE_CONSTRAINTS = r"""
from trust.constraints import (
    ConstraintDimensionRegistry,
    MultiDimensionEvaluator,
    InteractionMode,
)
from trust.constraints.builtin import register_builtin_dimensions

# 3. Setup constraints
registry = ConstraintDimensionRegistry()
register_builtin_dimensions(registry)
evaluator = MultiDimensionEvaluator(registry, enable_anti_gaming=True)

def check_constraints(context: dict):
    # Check constraints first
    constraint_result = evaluator.evaluate(
        constraints={
            "cost_limit": 1000,
            "rate_limit": "100/minute",
        },
        context=context,
        mode=InteractionMode.CONJUNCTIVE,
        agent_id="agent-001",
    )

    if not constraint_result.satisfied:
        raise PermissionError(f"Constraint violation: {constraint_result.failed_dimensions}")
    return constraint_result
"""


def run(block: str, **names: Any) -> dict[str, Any]:
    """Execute a guide block with ``names`` already defined; return its namespace."""
    namespace: dict[str, Any] = {"__name__": "guide_example", **names}
    exec(compile(block, "<guide>", "exec"), namespace)
    return namespace


def token_limit_dimension() -> type:
    return run(CUSTOM_DIMENSION)["TokenLimitDimension"]


def basic_evaluator() -> Any:
    return run(BASIC_EVALUATION)["evaluator"]


def test_the_protocol_block_defines_the_documented_shape() -> None:
    namespace = run(PROTOCOL)
    documented = namespace["ConstraintDimension"]
    from trust.constraints import ConstraintDimension

    for member in ("name", "description", "parse", "check", "validate_tightening", "compose"):
        assert hasattr(documented, member)
        assert hasattr(ConstraintDimension, member)
    assert ConstraintDimension.__abstractmethods__ == documented.__abstractmethods__


def test_constraint_value_and_check_result() -> None:
    namespace = run(VALUES)
    assert namespace["value"].parsed == 1000.0
    assert namespace["value"].metadata == {"unit": "cents"}
    assert namespace["result"].remaining == 500.0


def test_creating_a_custom_dimension() -> None:
    dimension = token_limit_dimension()()
    constraint = dimension.parse("1000")
    assert dimension.check(constraint, {"tokens_used": 400}).remaining == 600.0
    assert not dimension.check(constraint, {"tokens_used": 1001}).satisfied
    assert dimension.validate_tightening(constraint, dimension.parse(10))


def test_registering_dimensions() -> None:
    namespace = run(REGISTERING, TokenLimitDimension=token_limit_dimension())
    assert namespace["pending"] == ["token_limit"]
    assert namespace["registry"].get("cost_limit") is not None


def test_security_review_workflow() -> None:
    registry = run(REGISTERING, TokenLimitDimension=token_limit_dimension())["registry"]
    run(REVIEW_WORKFLOW, registry=registry)
    assert registry.reviewer("token_limit") == "security-team"
    assert registry.pending_review() == []


def test_testing_mode() -> None:
    from trust.constraints import ConstraintDimensionRegistry

    run(
        TESTING_MODE,
        ConstraintDimensionRegistry=ConstraintDimensionRegistry,
        TokenLimitDimension=token_limit_dimension(),
    )


def test_basic_evaluation(capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run(BASIC_EVALUATION)
    assert namespace["result"].satisfied
    assert capsys.readouterr().out == "All constraints satisfied\n"


def test_interaction_modes() -> None:
    evaluator = basic_evaluator()
    conjunctive = evaluator.evaluate(
        constraints={"cost_limit": 100, "rate_limit": 10},
        context={"cost_used": 200, "requests_in_period": 5},
    )
    namespace = run(INTERACTION_MODES, evaluator=evaluator, datetime=datetime)
    # Failed: cost_limit failed even though rate_limit passed
    assert not conjunctive.satisfied
    assert conjunctive.failed_dimensions == ("cost_limit",)
    # Depends on how many pass out of 3: cost fails, rate passes, so the window decides.
    independent = namespace["result"]
    window_passed = independent.dimension_results["time_window"].satisfied
    assert independent.satisfied == window_passed
    assert independent.failed_dimensions[0] == "cost_limit"


def test_interaction_modes_disjunctive_passes_on_the_rate_limit() -> None:
    evaluator = basic_evaluator()
    # Passed: rate_limit passed
    result = evaluator.evaluate(
        constraints={"cost_limit": 100, "rate_limit": 10},
        context={"cost_used": 200, "requests_in_period": 5},
        mode="disjunctive",
    )
    assert result.satisfied


def test_anti_gaming_detection(capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run(ANTI_GAMING, evaluator=basic_evaluator())
    assert namespace["result"].anti_gaming_flags == (
        "boundary_pushing:cost_limit (usage_ratio=0.96)",
    )
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == "Gaming detected: boundary_pushing:cost_limit (usage_ratio=0.96)"


def test_tightening_validation() -> None:
    namespace = run(TIGHTENING, evaluator=basic_evaluator())
    (violation,) = namespace["violations"]
    # The guide's message, followed by an example the child allows and the parent does not.
    assert violation.startswith(
        "Dimension 'cost_limit': child constraint (200) is looser than parent (100)"
    )
    assert violation.endswith("the child allows {'cost_used': 200.0}, the parent does not")


def test_cost_limit_dimension() -> None:
    run(COST)


def test_time_dimension() -> None:
    namespace = run(TIME)
    overnight: TimeWindows = namespace["constraint"].parsed
    dim = namespace["dim"]
    assert str(overnight) == "22:00-06:00 UTC"
    assert dim.check(
        namespace["constraint"], {"current_time": datetime(2025, 1, 15, 23, 0)}
    ).satisfied
    assert not dim.check(
        namespace["constraint"], {"current_time": datetime(2025, 1, 15, 12, 0)}
    ).satisfied


def test_resource_dimension() -> None:
    run(RESOURCES)


def test_rate_limit_dimension() -> None:
    namespace = run(RATE)
    assert str(namespace["constraint"].parsed) == "100/minute"


def test_data_access_dimension() -> None:
    run(DATA_ACCESS)


def test_communication_dimension() -> None:
    namespace = run(COMMUNICATION)
    dim = namespace["dim"]
    assert not dim.check(dim.parse("none"), {"communication_target": "api.openai.com"}).satisfied


def test_complete_example_constraint_parts() -> None:
    namespace = run(COMPLETE_EXAMPLE_CONSTRAINTS)
    check = namespace["check_constraints"]
    assert check({"cost_used": 10, "requests_in_period": 1}).satisfied
    with pytest.raises(PermissionError, match=re.escape("('cost_limit',)")):
        check({"cost_used": 1001, "requests_in_period": 1})


def test_custom_constraint_dimension_example() -> None:
    from trust.constraints import MultiDimensionEvaluator

    namespace = run(CUSTOM_EXAMPLE, MultiDimensionEvaluator=MultiDimensionEvaluator)
    dimension = namespace["ModelAccessDimension"]()
    wide, narrow = dimension.parse(["gpt-4", "claude-3"]), dimension.parse("GPT-4")
    evaluator = namespace["evaluator"]
    assert dimension.compose([wide, narrow]).parsed == {"gpt-4"}
    assert (
        evaluator.validate_tightening(
            {"model_access": ["gpt-4", "claude-3"]}, {"model_access": "gpt-4"}
        )
        == []
    )
    assert evaluator.validate_tightening({"model_access": "gpt-4"}, {"model_access": "o1"})
