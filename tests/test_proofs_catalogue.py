"""The one catalogue of built-in dimensions: every table about them reads it."""

from __future__ import annotations

import pytest

from trust.constraints import ConstraintDimensionRegistry
from trust.constraints.builtin import RateLimitDimension, register_builtin_dimensions
from trust.proofs import CATALOGUE, dimension_properties, law_twin, unproved, witness_twin
from trust.proofs._catalogue import builtin_twins, entry_named
from trust.proofs.conformance.dimensions import conformance_properties
from trust.proofs.twins import RateTwin


def test_every_builtin_is_catalogued_once_under_its_runtime_name() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    registered = {type(dimension) for _name, dimension in registry.all()}
    assert set(CATALOGUE) == registered
    for cls, entry in CATALOGUE.items():
        assert entry.dimension is cls
        assert entry.name == cls().name
        assert entry_named(entry.name) is entry
    assert entry_named("tokens") is None


def test_the_proof_run_lists_every_catalogued_dimension_in_catalogue_order() -> None:
    subjects = list(dict.fromkeys(p.subject for p in dimension_properties()))
    assert subjects == [f"{entry.name} dimension" for entry in CATALOGUE.values()]
    assert list(builtin_twins()) == [entry.name for entry in CATALOGUE.values()]


def test_every_table_follows_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    # Dropping one entry must drop the built-in everywhere: no second table keeps it.
    monkeypatch.delitem(CATALOGUE, RateLimitDimension)  # type: ignore[arg-type]
    assert "rate_limit dimension" not in {p.subject for p in dimension_properties()}
    assert "rate_limit dimension" not in {p.subject for p in conformance_properties()}
    assert "rate_limit" not in builtin_twins()
    reason = unproved("rate_limit", "5/second")
    assert reason is not None
    assert reason.startswith("'rate_limit' is not a built-in dimension")
    assert law_twin(RateLimitDimension()) is None
    assert witness_twin(RateLimitDimension(), []) is None


def test_a_catalogued_builtin_gets_its_entrys_twins() -> None:
    entry = CATALOGUE[RateLimitDimension]
    assert type(law_twin(RateLimitDimension())) is RateTwin
    assert type(witness_twin(RateLimitDimension(), [])) is type(entry.witness([]))
    assert entry.scope(False).universe.dimension.name == "rate_limit"
