"""The delegations of a policy file: who may hand authority to whom (see `trust.policy._build`)."""

from __future__ import annotations

from typing import Any

from trust._shown import shown
from trust.policy._model import DelegationSpec
from trust.policy._read import Problems
from trust.policy._schema import suggestion


def read_delegations(
    entries: list[Any], ids: list[str], problems: Problems
) -> tuple[DelegationSpec, ...]:
    """The ``[[delegations]]`` entries whose parent and child are known ids, in file order.

    Each is ``parent -> child`` between distinct agent or role ids, written once; every
    other entry is reported to ``problems`` (an entry that is not a table, or whose ids are
    not strings, was reported by the schema).
    """
    found: dict[tuple[str, str], int] = {}
    kept = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        path = ("delegations", str(index))
        parent, child = entry.get("parent"), entry.get("child")
        if not isinstance(parent, str) or not isinstance(child, str):
            continue
        ok = True
        for key, ident in (("parent", parent), ("child", child)):
            if ident not in ids:
                problems.add(
                    "policy.unknown-reference",
                    (*path, key),
                    f"{key} must be an agent or role id, got {shown(ident)}"
                    f"{suggestion(ident, ids)}",
                )
                ok = False
        if parent == child:
            problems.add("policy.delegation", path, f"{parent!r} must not delegate to itself")
            ok = False
        elif (parent, child) in found:
            problems.add(
                "policy.delegation",
                path,
                f"{parent!r} -> {child!r} is written twice (first as delegations."
                f"{found[parent, child]})",
            )
            ok = False
        found.setdefault((parent, child), index)
        if ok:
            kept.append(
                DelegationSpec(
                    parent=parent,
                    child=child,
                    index=index,
                    description=str(entry.get("description", "")),
                )
            )
    return tuple(kept)


__all__ = ["read_delegations"]
