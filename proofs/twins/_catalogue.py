"""The one catalogue of twins: which twin stands for which dimension, and for what.

Every consumer reads it: the law proofs of the built-ins (`builtin_twins`),
`proofs.verify_dimension` (`law_twin`, `runtime_cases`) and `proofs.verify_delegation`
(`witness_twin`). A built-in is recognised by its exact class, never by its name: a
custom dimension named ``cost_limit`` is not proved by the cost twin. A custom dimension
brings its own twin through ``symbolic()`` (see `proofs.twins.SymbolicTwin`).

Each built-in has two twins: the one its laws are proved on, over fresh symbolic
constraints, and one that encodes given runtime values, for witnesses and for holding the
runtime to the twin on concrete cases (the law twins of ``resources`` and
``time_window`` quantify over bounded universes that real values do not fit).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from trust._errors import InvalidTypeError
from trust.constraints import ConstraintDimension, ConstraintValue
from trust.constraints.builtin import (
    CommunicationDimension,
    CostLimitDimension,
    DataAccessDimension,
    RateLimitDimension,
    ResourceDimension,
    TimeDimension,
)
from trust.constraints.builtin._target import read_host
from trust.proofs.twins import _samples
from trust.proofs.twins._protocol import SymbolicTwin
from trust.proofs.twins.communication import CommunicationTwin
from trust.proofs.twins.cost import CostTwin
from trust.proofs.twins.data_access import NAMES, DataAccessTwin
from trust.proofs.twins.rate import RateTwin
from trust.proofs.twins.resources import PathTwin, ResourcesTwin
from trust.proofs.twins.time_window import TimeWindowTwin

WITNESS_METHODS = ("encode", "context", "admissible", "allows", "runtime_context")
"""What a twin needs to turn a delegation's runtime values into a witness context."""


@attrs.frozen(kw_only=True)
class Entry:
    """The twins of one built-in dimension, and the runtime cases it is checked on.

    Attributes:
        name: The dimension's name.
        laws: The twin its laws are proved on.
        witness: A twin that encodes the given runtime values (ValueError outside its
            bounds).
        values: Raw constraint values `verify_dimension` holds the runtime to.
        contexts: Contexts it checks them on (each names every key the dimension reads,
            so that no verdict depends on a clock).
    """

    name: str
    laws: Callable[[], SymbolicTwin]
    witness: Callable[[Sequence[ConstraintValue]], Any]
    values: tuple[Any, ...]
    contexts: tuple[dict[str, Any], ...]


def _data_access(values: Sequence[ConstraintValue]) -> DataAccessTwin:
    # The twin's classification universe must hold every name the values list.
    listed = {n for v in values for n in (v.parsed.classifications or ())}
    return DataAccessTwin(tuple(sorted(set(NAMES) | listed)))


CATALOGUE: Mapping[type[ConstraintDimension], Entry] = {
    CostLimitDimension: Entry(
        name="cost_limit",
        laws=CostTwin,
        witness=lambda _values: CostTwin(),
        values=_samples.COST_VALUES,
        contexts=_samples.COST_CONTEXTS,
    ),
    TimeDimension: Entry(
        name="time_window",
        laws=TimeWindowTwin,
        # Over the runtime's offset tables of the zones the values are written in.
        witness=TimeWindowTwin.for_values,
        values=_samples.TIME_VALUES,
        contexts=_samples.TIME_CONTEXTS,
    ),
    ResourceDimension: Entry(
        name="resources",
        laws=ResourcesTwin,
        witness=lambda _values: PathTwin(),
        values=_samples.RESOURCE_VALUES,
        contexts=_samples.RESOURCE_CONTEXTS,
    ),
    RateLimitDimension: Entry(
        name="rate_limit",
        laws=RateTwin,
        witness=lambda _values: RateTwin(),
        values=_samples.RATE_VALUES,
        contexts=_samples.RATE_CONTEXTS,
    ),
    DataAccessDimension: Entry(
        name="data_access",
        laws=DataAccessTwin,
        witness=_data_access,
        values=_samples.DATA_VALUES,
        contexts=_samples.DATA_CONTEXTS,
    ),
    CommunicationDimension: Entry(
        name="communication",
        laws=CommunicationTwin,
        # Over real addresses and the labels the values name.
        witness=CommunicationTwin.for_values,
        values=_samples.COMMUNICATION_VALUES,
        contexts=_samples.COMMUNICATION_CONTEXTS,
    ),
}
"""The built-in dimensions by exact class."""


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


__all__ = ["CATALOGUE", "WITNESS_METHODS", "Entry", "builtin_twins", "law_twin", "witness_twin"]
