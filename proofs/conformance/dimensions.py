"""Conformance of the six built-in dimensions: the code that runs against the proved twins.

For each dimension of `proofs.CATALOGUE`, one property runs the runtime's ``check``,
``validate_tightening`` and ``compose`` (the dimension objects of
`trust.constraints.builtin`, as the evaluator calls them) on every case of the entry's
bounded universe and compares each verdict with the twin the laws of `proofs.dimensions`
are proved on (`proofs.conformance._compare`). The property's ``bound`` names the
universe; ``--deep`` enlarges it. An entry's further checks (``resources``: globs beyond
its bounded twin, against the exact regex twin) follow it.
"""

from __future__ import annotations

from collections.abc import Callable

from trust.proofs._catalogue import CATALOGUE, CatalogueEntry, Conformance
from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Verdict
from trust.proofs.conformance._compare import conformance

NAME = "runtime check, validate_tightening and compose agree with the twin"
METHOD = "runtime vs twin, exhaustive"


def _check(entry: CatalogueEntry) -> Callable[[Settings], Verdict]:
    def check(settings: Settings) -> Verdict:
        return conformance(entry.scope(settings.deep).universe)

    return check


def _more(more: Conformance) -> Callable[[Settings], Verdict]:
    def check(settings: Settings) -> Verdict:
        return more.run(settings.deep)

    return check


def conformance_properties() -> list[Property]:
    """The conformance properties of the built-in dimensions, in the order of the laws."""
    props = []
    for entry in CATALOGUE.values():
        subject = f"{entry.name} dimension"
        props.append(
            Property(
                name=NAME,
                subject=subject,
                method=METHOD,
                check=_check(entry),
                bound=entry.scope(False).bound,
            )
        )
        props.extend(
            Property(
                name=more.name,
                subject=subject,
                method=f"{METHOD}; {more.method}",
                check=_more(more),
                bound=more.bound,
            )
            for more in entry.more_conformance
        )
    return props


__all__ = ["METHOD", "NAME", "conformance_properties"]
