"""The store's proofs: each is proved, and a bug planted in the twin or the store fails one."""

from __future__ import annotations

import pytest
import z3

from trust.proofs import Proved, Refuted, Settings, all_properties, store_properties
from trust.proofs import store as store_proofs
from trust.store._sql import SqlStore

SETTINGS = Settings(timeout_ms=5000)


def by_name(fragment: str):  # type: ignore[no-untyped-def]
    (found,) = [p for p in store_properties() if fragment in p.name]
    return found


def test_every_store_property_is_proved_and_in_the_run() -> None:
    keys = {p.key for p in all_properties()}
    for prop in store_properties():
        assert prop.key in keys
        assert isinstance(prop.check(SETTINGS), Proved), prop.name


def test_a_twin_whose_cas_ignores_the_version_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    def blind(row, expected, target):  # type: ignore[no-untyped-def]
        return target, row[1] + 1

    monkeypatch.setattr(store_proofs, "cas", blind)
    verdict = by_name("never overwrites a newer version").check(SETTINGS)
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample["version"] != verdict.counterexample["expected"]


def test_a_twin_whose_emergency_is_conditional_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    def conditional(row):  # type: ignore[no-untyped-def]
        return z3.If(row[1] == 0, z3.IntVal(store_proofs.BLOCKED), row[0]), row[1] + 1

    monkeypatch.setattr(store_proofs, "emergency", conditional)
    assert isinstance(by_name("commutes").check(SETTINGS), Refuted)


def test_a_store_that_overwrites_a_newer_version_fails_the_proof_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = SqlStore.transition

    def careless(self, entry, *, expected_version, history_limit=100):  # type: ignore[no-untyped-def]
        current = self.read_posture(entry.agent_id)
        version = 0 if current is None else current.version
        return original(self, entry, expected_version=version, history_limit=history_limit)

    monkeypatch.setattr(SqlStore, "transition", careless)
    verdict = by_name("conforms to the twin").check(SETTINGS)
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample["runtime"] != verdict.counterexample["twin"]
