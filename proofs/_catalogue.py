"""The one catalogue of built-in dimensions: every table about them reads it.

For each built-in, by its exact class: the twin its laws are proved on and what those
laws are proved over, the twin that encodes given runtime values (for witnesses and for
holding the runtime to the twin on concrete cases), the runtime cases
`proofs.verify_dimension` checks, and the conformance universe the proof run compares
the runtime with the twin on (`proofs.conformance.dimensions`). The law proofs
(`proofs.dimensions`), `proofs.verify_dimension`, `proofs.verify_delegation` and
`proofs.unproved` all read it; adding a built-in is one entry here.

A built-in is recognised by its exact class, never by its name: a custom dimension named
``cost_limit`` is not proved by the cost twin. A custom dimension brings its own twin
through ``symbolic()`` (see `proofs.twins.SymbolicTwin`).

The law twins of ``resources`` and ``time_window`` quantify over bounded universes that
real values do not fit, hence a second, witness twin for each built-in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from trust import InvalidTypeError
from trust.constraints import ConstraintDimension, ConstraintValue
from trust.constraints.builtin import (
    CommunicationDimension,
    CostLimitDimension,
    DataAccessDimension,
    RateLimitDimension,
    ResourceDimension,
    TimeDimension,
    read_host,
)
from trust.proofs._verdict import Verdict
from trust.proofs.conformance._hosts import communication_scope
from trust.proofs.conformance._paths import (
    REAL_GLOBS,
    REAL_GLOBS_BOUND,
    real_globs,
    resources_scope,
)
from trust.proofs.conformance._scalars import Scope, cost_scope, data_access_scope, rate_scope
from trust.proofs.conformance._time import time_scope
from trust.proofs.twins import (
    CommunicationTwin,
    CostTwin,
    DataAccessTwin,
    PathTwin,
    RateTwin,
    ResourcesTwin,
    SymbolicTwin,
    TimeWindowTwin,
    _samples,
)
from trust.proofs.twins.data_access import NAMES

WITNESS_METHODS = ("encode", "context", "admissible", "allows", "runtime_context")
"""What a twin needs to turn a delegation's runtime values into a witness context."""

SLOW_LAWS_MS = 30_000
"""The per-query solver time some twins' laws get at least, whatever ``--timeout`` says.

The time_window twin checks every one of the 1440 minutes of a day in several zones, the
resources twin every path of its 84-path universe, the communication twin label rules
and two address families; their slowest laws take z3 one to four seconds, too close to
the default timeout on a busy machine for a verdict that must not flip to unknown.
"""


@attrs.frozen(kw_only=True)
class Conformance:
    """A conformance check of a built-in beyond its universe (`CatalogueEntry.scope`).

    Attributes:
        name: The property's name in the proof table.
        method: How it checks, after the universe's method.
        bound: What it covers, for the proof table.
        run: The check (``deep`` -> verdict).
    """

    name: str
    method: str
    bound: str
    run: Callable[[bool], Verdict]


@attrs.frozen(kw_only=True)
class CatalogueEntry:
    """Everything the proofs know about one built-in dimension.

    Attributes:
        dimension: The built-in's class (exact: a subclass is not the built-in).
        name: The dimension's name, read off ``dimension``.
        laws: The twin its laws are proved on.
        law_bound: What the laws are proved over ("" where the twin is unbounded).
        least_timeout_ms: The solver time its laws get at least (0: ``--timeout``).
        witness: A twin that encodes the given runtime values (ValueError outside its
            bounds).
        values: Raw constraint values `verify_dimension` holds the runtime to.
        contexts: Contexts it checks them on (each names every key the dimension reads,
            so that no verdict depends on a clock).
        scope: The universe the proof run compares the runtime with the law twin on
            (``deep`` -> its scope); its twins are also what `proofs.unproved` asks.
        more_conformance: Further conformance checks of the runtime.
    """

    dimension: type[ConstraintDimension]
    name: str = attrs.field(init=False)
    laws: Callable[[], SymbolicTwin]
    law_bound: str
    least_timeout_ms: int = 0
    witness: Callable[[Sequence[ConstraintValue]], Any]
    values: tuple[Any, ...]
    contexts: tuple[dict[str, Any], ...]
    scope: Callable[[bool], Scope]
    more_conformance: tuple[Conformance, ...] = ()

    @name.default
    def _name(self) -> str:
        return self.dimension().name


def _data_access(values: Sequence[ConstraintValue]) -> DataAccessTwin:
    # The twin's classification universe must hold every name the values list.
    listed = {n for v in values for n in (v.parsed.classifications or ())}
    return DataAccessTwin(tuple(sorted(set(NAMES) | listed)))


_ENTRIES = (
    CatalogueEntry(
        dimension=CostLimitDimension,
        laws=CostTwin,
        law_bound="",
        witness=lambda _values: CostTwin(),
        values=_samples.COST_VALUES,
        contexts=_samples.COST_CONTEXTS,
        scope=cost_scope,
    ),
    CatalogueEntry(
        dimension=TimeDimension,
        laws=TimeWindowTwin,
        law_bound=(
            "two zones with offset tables {0, 60} and {0, 1140} minutes (every window in "
            "each, every combination of offsets); the real zones' tables only through "
            "conformance"
        ),
        least_timeout_ms=SLOW_LAWS_MS,
        # Over the runtime's offset tables of the zones the values are written in.
        witness=TimeWindowTwin.for_values,
        values=_samples.TIME_VALUES,
        contexts=_samples.TIME_CONTEXTS,
        scope=time_scope,
    ),
    CatalogueEntry(
        dimension=ResourceDimension,
        laws=ResourcesTwin,
        law_bound=(
            "unions of up to two globs of one or two segments among a, *, a*, ?, **; paths "
            "of one to three segments among a, b, ab, bb; other globs only through "
            "conformance (against the exact regex twin)"
        ),
        least_timeout_ms=SLOW_LAWS_MS,
        witness=lambda _values: PathTwin(),
        values=_samples.RESOURCE_VALUES,
        contexts=_samples.RESOURCE_CONTEXTS,
        scope=resources_scope,
        more_conformance=(
            Conformance(
                name=REAL_GLOBS, method="z3 inclusion", bound=REAL_GLOBS_BOUND, run=real_globs
            ),
        ),
    ),
    CatalogueEntry(
        dimension=RateLimitDimension,
        laws=RateTwin,
        law_bound="values of up to two rules (a count per period, or in total)",
        witness=lambda _values: RateTwin(),
        values=_samples.RATE_VALUES,
        contexts=_samples.RATE_CONTEXTS,
        scope=rate_scope,
    ),
    CatalogueEntry(
        dimension=DataAccessDimension,
        laws=DataAccessTwin,
        law_bound=(
            "three classification names and one stand-in for every other (each name's "
            "membership is independent of the others')"
        ),
        witness=_data_access,
        values=_samples.DATA_VALUES,
        contexts=_samples.DATA_CONTEXTS,
        scope=data_access_scope,
    ),
    CatalogueEntry(
        dimension=CommunicationDimension,
        laws=CommunicationTwin,
        law_bound=(
            "two rules of up to two labels among com, openai, api, evil, each requiring at "
            "most one label; hosts of up to four labels (one more label than those); one "
            "address block per value, 4 bits per family (IPv4, IPv6); real sizes only "
            "through conformance"
        ),
        least_timeout_ms=SLOW_LAWS_MS,
        # Over real addresses and the labels the values name.
        witness=CommunicationTwin.for_values,
        values=_samples.COMMUNICATION_VALUES,
        contexts=_samples.COMMUNICATION_CONTEXTS,
        scope=communication_scope,
    ),
)

CATALOGUE: Mapping[type[ConstraintDimension], CatalogueEntry] = {
    entry.dimension: entry for entry in _ENTRIES
}
"""The built-in dimensions by exact class, in report order."""


def entry_named(name: str) -> CatalogueEntry | None:
    """The built-in called ``name``, or None if no built-in is."""
    return next((e for e in CATALOGUE.values() if e.name == name), None)


def builtin_twins() -> dict[str, SymbolicTwin]:
    """The twin the laws are proved on, for each built-in dimension, by dimension name."""
    return {entry.name: entry.laws() for entry in CATALOGUE.values()}


def _symbolic(dim: ConstraintDimension) -> SymbolicTwin | None:
    make = getattr(dim, "symbolic", None)
    if not callable(make):
        return None
    twin = make()
    if not isinstance(twin, SymbolicTwin):
        raise InvalidTypeError(
            f"{type(dim).__name__}.symbolic() must return a SymbolicTwin (see "
            f"proofs.twins.SymbolicTwin), got {twin!r}"
        )
    return twin


def law_twin(dim: ConstraintDimension) -> SymbolicTwin | None:
    """The twin ``dim``'s laws are proved on: a built-in's, its ``symbolic()``, or None.

    Raises:
        InvalidTypeError: ``symbolic()`` returned something that is not a `SymbolicTwin`.
    """
    entry = CATALOGUE.get(type(dim))
    return entry.laws() if entry is not None else _symbolic(dim)


def _internal_names(domains: Sequence[str]) -> list[tuple[str, ...]]:
    """``internal_domains`` as the twin's domains (last label first).

    Raises:
        ValueError: One is an IP network: the twin's internal_only holds names only.
    """
    names = []
    for domain in domains:
        text = domain.strip().lower()
        try:
            ipaddress.ip_network(text.strip("[]"))
        except ValueError:
            host = read_host(text)
            if isinstance(host, str):
                names.append(tuple(host.split("/")))
                continue
        raise ValueError(
            f"the communication twin reads internal_domains of host names, got {domain!r}"
        )
    return names


def witness_twin(dim: ConstraintDimension, values: Sequence[ConstraintValue]) -> Any:
    """A twin that encodes ``values`` and turns its models into contexts, or None.

    Raises:
        ValueError: ``dim`` has such a twin, but ``values`` lie outside its bounds.
        InvalidTypeError: ``symbolic()`` returned something that is not a `SymbolicTwin`.
    """
    entry = CATALOGUE.get(type(dim))
    if isinstance(dim, CommunicationDimension) and dim.internal_domains is not None:
        # internal_only means what this dimension's internal_domains say.
        return CommunicationTwin.for_values(values, internal=_internal_names(dim.internal_domains))
    if entry is not None:
        return entry.witness(values)
    twin = _symbolic(dim)
    return twin if all(callable(getattr(twin, m, None)) for m in WITNESS_METHODS) else None


__all__ = [
    "CATALOGUE",
    "SLOW_LAWS_MS",
    "WITNESS_METHODS",
    "CatalogueEntry",
    "Conformance",
    "builtin_twins",
    "entry_named",
    "law_twin",
    "witness_twin",
]
