"""The ``time_window`` twin over several zones: its laws have teeth, its tables are the
runtime's, and a delegation that widens across zones gets a real instant as witness."""

from __future__ import annotations

from datetime import UTC, datetime

import z3

from trust.constraints import InteractionMode
from trust.constraints.builtin import TimeDimension
from trust.proofs import Proved, Refuted, Settings, verify_delegation
from trust.proofs.laws import law_properties
from trust.proofs.twins import TimeWindowTwin
from trust.proofs.twins.time_window import Windows, _rotate

DIM = TimeDimension()
ISSUE_PARENT = {"all_of": ["09:00-17:00 Europe/Berlin", "09:00-17:00 America/New_York"]}


class _OutsideEveryPart(TimeWindowTwin):
    """The defect of issue 12: a child escapes only where some combination of offsets
    puts it outside *every* part of the parent."""

    def tighter(self, child: Windows, parent: Windows) -> z3.BoolRef:
        empty = z3.BitVecVal(0, 1440)
        claims = []
        for a in self.tables[0]:
            for b in self.tables[1]:
                inside = _rotate(child[0], a) & _rotate(child[1], b)
                outside = ~_rotate(parent[0], a) & ~_rotate(parent[1], b)
                claims.append(inside & outside == empty)
        return z3.And(*claims)


def _law(twin: TimeWindowTwin, name: str) -> object:
    (prop,) = [p for p in law_properties(twin, "time_window") if p.name == name]
    return prop.check(Settings(timeout_ms=60_000))


def test_the_soundness_law_refutes_the_quantifier_of_the_defect() -> None:
    assert isinstance(_law(TimeWindowTwin(), "tightening is sound"), Proved)
    refuted = _law(_OutsideEveryPart(), "tightening is sound")
    assert isinstance(refuted, Refuted)


def test_the_twin_reads_the_runtimes_offset_tables() -> None:
    twin = TimeWindowTwin(["Europe/Berlin", "America/New_York"])
    assert twin.zones == ("America/New_York", "Europe/Berlin", "UTC")
    # Berlin: 0 (a time of day), local mean time +0:53:28 both ways rounded, CET, CEST,
    # and the double summer time of 1945; all modulo a day.
    assert twin.tables[1] == (0, 53, 54, 60, 120, 180)
    # A local-mean-time instant reads one of the two roundings, by its second.
    for second in (0, 45):
        moment = datetime(1890, 1, 1, 12, 0, second, tzinfo=UTC)
        twin.encode_context({"current_time": moment})  # raises if the table lacked it


def test_the_twin_over_real_zones_admits_only_offsets_that_occur_together() -> None:
    twin = TimeWindowTwin(["Europe/Berlin", "America/New_York"])
    context = twin.context("x")

    def admitted(new_york: int, berlin: int) -> bool:
        solver = z3.Solver()
        solver.add(twin.admissible(context))
        solver.add(context.offsets[0] == new_york % 1440, context.offsets[1] == berlin % 1440)
        return solver.check() == z3.sat

    assert admitted(-300, 60)  # winter
    assert admitted(-240, 60)  # March, between the two changes to summer time
    assert admitted(0, 0)  # a bare time of day
    assert not admitted(-240, 53)  # Berlin's local mean time ended before New York's DST


def test_the_issue_pair_widens_with_a_real_instant_as_the_witness() -> None:
    child = {"time_window": "09:00-17:00 Europe/Berlin"}
    for mode in InteractionMode:
        report = verify_delegation([{"time_window": ISSUE_PARENT}, child], mode=mode)
        assert not report.ok
        (hop,) = report.hops
        assert hop.counterexample is not None
        instant = hop.counterexample["current_time"]
        assert isinstance(instant, datetime)  # a real instant, not a bare time of day
        context = {"current_time": instant}
        assert DIM.check(DIM.parse("09:00-17:00 Europe/Berlin"), context).satisfied
        assert not DIM.check(DIM.parse("09:00-17:00 America/New_York"), context).satisfied
