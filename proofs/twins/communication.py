"""The twin of ``communication``: hosts as label sequences, addresses as bit vectors.

Unbounded domain: hostnames and IP addresses. A constraint is a union of *rules* and
*blocks*:

- a rule ``(d, S)`` allows every host whose label sequence (last label first:
  ``api.openai.com`` is com, openai, api) starts with ``d`` and holds every label of
  ``S`` somewhere. A domain of ``allowed_domains`` is ``(d, {})``: the domain and every
  host under it; ``internal_only``'s "has the label internal" is ``((), {internal})``;
  compose meets ``(d, S)`` and ``(d', S')`` in ``(the longer, S | S')`` when one of ``d``,
  ``d'`` starts the other, and in nothing otherwise, exactly the runtime's reversed-label
  globs ``com/openai/**`` and ``**/internal/**`` and their intersections.
- a block allows the addresses that agree with it on its prefix. An address is a family
  bit (IPv4 or IPv6) and the address itself, so both families share the prefix arithmetic
  and never meet. Two blocks meet in the smaller when one holds the other.

Tightening, quantifier-free and exact: a child rule must be covered by one parent rule
(``d'`` starts ``d`` and ``S' <= S | labels(d)``; with a label no rule mentions, the host
``d.other.S`` of a child rule is covered by no parent rule that does not cover the whole
rule, so one covering rule is needed), and every child block must be covered by the
union of the parent's blocks (the least uncovered address, if any, is a child block's
first address or one past the end of a parent block, so only those are checked).

`CommunicationTwin()` is the twin the laws are proved on: labels `LABELS` (hosts may also
hold one label no constraint names), two rules of up to two labels, each with at most one
required label, hosts of up to four labels, one block, and addresses of `BITS` bits per
family (shown inside 10.0.0.0/28 and fd00::/124). `CommunicationTwin.for_values` is the
twin over real values: every label they name, as many rules and blocks as they hold, and
full 32-bit and 128-bit addresses, the same formulas at another size.

`encode` reads a value as the user wrote it (its ``raw_value``: a mode, a mode with
``allowed_domains``, or ``all_of``), with ``internal_only`` as the host set the runtime
documents (`INTERNAL_NAMES`, `PRIVATE_NETWORKS`, or ``internal_domains`` and localhost),
restated here; it refuses with a ValueError what it cannot encode. Hosts are read by the
runtime's `read_host` and targets by its `parse_target`, which refuses every target that
real HTTP clients could read as another host (tests/test_constraints_ssrf.py holds it to
browsers, urllib.parse, urllib3, httpx and curl).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import z3

from trust.proofs.twins._concrete import as_bool, as_int, first
from trust.proofs.twins._host_encoding import HostEncoding
from trust.proofs.twins._hosts import (
    ABSENT,
    ADDRESS,
    CONTEXT_KEY,
    LAW_SPACE,
    NAME,
    UNREADABLE,
    Block,
    Form,
    Hosts,
    Labels,
    Rule,
    Space,
    Target,
    bits_for,
    fit,
    pick,
)

LABELS = ("com", "openai", "api", "evil")
"""The labels of the law proofs' constraints; their hosts may also hold one other label."""
DOMAIN_LABELS = 2
HOST_LABELS = 4
BITS = 4
"""Address width per family in the law proofs: the prefix arithmetic is the same at any
width, and 32 bits (IPv4) or 128 (IPv6) only make the solver slower."""


class CommunicationTwin(HostEncoding):
    """Rules over label sequences, and blocks of two address families; see the module
    docstring.

    Args:
        labels: The labels constraints may name; hosts may hold one more (any other).
        rules, blocks: Rules and blocks of a fresh constraint (and of encoded values).
        domain_labels: Labels of a rule's domain; ``host_labels``: of a host.
        space: Where addresses live (`LAW_SPACE`: 4 bits per family).
        internal: ``internal_only``'s domains (last label first; localhost is added), or
            None for the default `INTERNAL_NAMES` and the label rule.
    """

    exact = True

    def __init__(
        self,
        labels: Sequence[str] = LABELS,
        rules: int = 2,
        blocks: int = 1,
        domain_labels: int = DOMAIN_LABELS,
        host_labels: int = HOST_LABELS,
        space: Space = LAW_SPACE,
        internal: Sequence[tuple[str, ...]] | None = None,
    ) -> None:
        self.labels = tuple(labels)
        self.other = len(self.labels)
        self.rules, self.blocks = rules, blocks
        self.domain_labels, self.host_labels = domain_labels, host_labels
        self.space = space
        self.internal = internal
        # Wide enough for `other + 1` too, the bound `admissible` compares ids with: at
        # `bits_for(other)` it wraps to 0 when other + 1 is a power of two (three labels).
        self.id_bits = bits_for(self.other + 1)
        self.length_bits = bits_for(max(domain_labels, host_labels) + 1)
        self._forms: dict[str, Form] = {}

    # -- the protocol ------------------------------------------------------------------

    def _labels(self, name: str, size: int) -> Labels:
        return Labels(
            z3.BitVec(f"{name}.length", self.length_bits),
            tuple(z3.BitVec(f"{name}.{i}", self.id_bits) for i in range(size)),
        )

    def constraint(self, name: str, rules: int | None = None, blocks: int | None = None) -> Hosts:
        """A fresh constraint (of `rules` rules and `blocks` blocks unless told)."""
        width = self.space.width
        rules = self.rules if rules is None else rules
        blocks = self.blocks if blocks is None else blocks
        return Hosts(
            tuple(
                Rule(
                    z3.Bool(f"{name}.rule{k}.on"),
                    self._labels(f"{name}.rule{k}", self.domain_labels),
                    self._one_label(f"{name}.rule{k}.required"),
                )
                for k in range(rules)
            ),
            tuple(
                Block(
                    z3.Bool(f"{name}.block{k}.on"),
                    z3.BitVec(f"{name}.block{k}", width),
                    z3.BitVec(f"{name}.block{k}.prefix", width),
                )
                for k in range(blocks)
            ),
        )

    def _one_label(self, name: str) -> z3.BitVecRef:
        """No label or one (a fresh rule requires at most one, as the runtime's do)."""
        size = max(1, self.other)
        label = z3.BitVec(f"{name}.label", self.id_bits)
        one = z3.BitVecVal(1, size) << fit(label, size)
        return z3.If(
            z3.And(z3.Bool(f"{name}.on"), z3.ULT(label, self.other)), one, z3.BitVecVal(0, size)
        )

    def context(self, name: str) -> Target:
        return Target(
            z3.Int(f"{name}.kind"),
            self._labels(f"{name}.host", self.host_labels),
            z3.BitVec(f"{name}.address", self.space.width),
        )

    def _ok(self, labels: Labels, ids: int, least: int) -> z3.BoolRef:
        return z3.And(
            z3.ULE(least, labels.length),
            z3.ULE(labels.length, len(labels.items)),
            *[z3.ULT(x, ids) for x in labels.items],
        )

    def well_formed(self, c: Hosts) -> z3.BoolRef:
        width = self.space.width
        return z3.And(
            *[
                z3.And(
                    self._ok(r.labels, self.other, 0),
                    z3.Or(r.labels.length != 0, r.required != 0),
                )
                for r in c.rules
            ],
            *[
                z3.And(z3.ULE(1, b.prefix), z3.ULE(b.prefix, width), b.address & ~b.mask() == 0)
                for b in c.blocks
            ],
        )

    def admissible(self, x: Target) -> z3.BoolRef:
        return z3.And(x.kind >= NAME, x.kind <= UNREADABLE, self._ok(x.host, self.other + 1, 1))

    def allows(self, c: Hosts, x: Target) -> z3.BoolRef:
        return z3.Or(
            x.kind == ABSENT,
            z3.And(x.kind == NAME, self._named(c, x.host)),
            z3.And(x.kind == ADDRESS, z3.Or(*[b.holds(x.address) for b in c.blocks])),
        )

    def _named(self, c: Hosts, host: Labels) -> z3.BoolRef:
        held = self._set(host)
        return z3.Or(
            *[z3.And(r.on, r.labels.starts(host), r.required & ~held == 0) for r in c.rules]
        )

    def _set(self, labels: Labels) -> z3.BitVecRef:
        """The labels of a sequence, as a bit set (bit ``k``: label ``k`` is one of them)."""
        size = max(1, self.other)
        found = z3.BitVecVal(0, size)
        for i, item in enumerate(labels.items):
            one = z3.BitVecVal(1, size) << fit(item, size)
            found = found | z3.If(z3.ULT(i, labels.length), one, z3.BitVecVal(0, size))
        return found

    def _covers(self, parent: Rule, child: Rule) -> z3.BoolRef:
        return z3.And(
            parent.on,
            parent.labels.starts(child.labels),
            parent.required & ~(child.required | self._set(child.labels)) == 0,
        )

    def _loose_rules(self, child: Hosts, parent: Hosts) -> list[tuple[z3.BoolRef, Rule]]:
        return [
            (z3.And(r.on, z3.Not(z3.Or(*[self._covers(p, r) for p in parent.rules]))), r)
            for r in child.rules
        ]

    def _address_candidates(
        self, child: Hosts, parent: Hosts
    ) -> list[tuple[z3.BoolRef, z3.BitVecRef]]:
        ones = (1 << self.space.width) - 1
        starts = [(b.on, b.address) for b in child.blocks]
        after = [(z3.And(b.on, b.end() != ones), b.end() + 1) for b in parent.blocks]

        def inside(c: Hosts, a: z3.BitVecRef) -> z3.BoolRef:
            return z3.Or(*[b.holds(a) for b in c.blocks])

        return [
            (z3.And(on, inside(child, a), z3.Not(inside(parent, a))), a) for on, a in starts + after
        ]

    def tighter(self, child: Hosts, parent: Hosts) -> z3.BoolRef:
        return z3.And(
            *[z3.Not(loose) for loose, _ in self._loose_rules(child, parent)],
            *[z3.Not(loose) for loose, _ in self._address_candidates(child, parent)],
        )

    def meet(self, a: Hosts, b: Hosts) -> Hosts:
        rules = tuple(
            Rule(
                z3.And(x.on, y.on, z3.Or(x.labels.starts(y.labels), y.labels.starts(x.labels))),
                pick(x.labels.starts(y.labels), y.labels, x.labels),
                x.required | y.required,
            )
            for x, y in itertools.product(a.rules, b.rules)
        )

        def inside(p: Block, q: Block) -> z3.BoolRef:
            return z3.And(z3.UGE(p.prefix, q.prefix), p.address & q.mask() == q.address)

        blocks = tuple(
            Block(
                z3.And(x.on, y.on, z3.Or(inside(x, y), inside(y, x))),
                z3.If(inside(x, y), x.address, y.address),
                z3.If(inside(x, y), x.prefix, y.prefix),
            )
            for x, y in itertools.product(a.blocks, b.blocks)
        )
        return Hosts(rules, blocks)

    def witness(self, child: Hosts, parent: Hosts) -> Target:
        loose = self._loose_rules(child, parent)
        hosts = [(condition, self._witness_host(rule)) for condition, rule in loose]
        host = hosts[-1][1] if hosts else self._host_of([self.other])
        for condition, candidate in reversed(hosts[:-1]):
            host = pick(condition, candidate, host)
        address = first(self._address_candidates(child, parent), z3.BitVecVal(0, self.space.width))
        any_name = z3.Or(*[condition for condition, _ in loose])
        return Target(z3.If(any_name, z3.IntVal(NAME), z3.IntVal(ADDRESS)), host, address)

    def _witness_host(self, rule: Rule) -> Labels:
        """``d``, a label no rule names, then the label ``rule`` requires (if any)."""
        zero = z3.BitVecVal(0, self.id_bits)
        required = first(
            [
                (z3.Extract(k, k, rule.required) == 1, z3.BitVecVal(k, self.id_bits))
                for k in range(self.other)
            ],
            zero,
        )
        size = rule.labels.length
        items = []
        for i in range(self.host_labels):
            own = rule.labels.items[i] if i < len(rule.labels.items) else zero
            items.append(
                z3.If(
                    z3.ULT(i, size),
                    own,
                    z3.If(size == i, z3.BitVecVal(self.other, self.id_bits), required),
                )
            )
        length = size + 1 + z3.If(rule.required != 0, z3.BitVecVal(1, self.length_bits), 0)
        return Labels(length, tuple(items))

    def show_constraint(self, model: z3.ModelRef, c: Hosts) -> str:
        entries = []
        for r in c.rules:
            if not as_bool(model, r.on):
                continue
            domain = self._host(model, r.labels)
            required = as_int(model, r.required)
            needs = [self.labels[k] for k in range(self.other) if required >> k & 1]
            if not needs:
                entries.append(domain)
            else:
                under = f" under {domain}" if domain else ""
                entries.append(f"hosts{under} with the label(s) {needs}")
        for b in c.blocks:
            if as_bool(model, b.on):
                entries.append(
                    str(self.space.network(as_int(model, b.address), as_int(model, b.prefix)))
                )
        if not entries:
            return "'none'"
        return repr({"mode": "allowed_domains", "allowed_domains": entries})

    def show_context(self, model: z3.ModelRef, x: Target) -> str:
        shown = self.runtime_context(model, x)
        return f"{CONTEXT_KEY} {shown[CONTEXT_KEY]!r}" if shown else f"no {CONTEXT_KEY}"


__all__ = [
    "BITS",
    "DOMAIN_LABELS",
    "HOST_LABELS",
    "LABELS",
    "CommunicationTwin",
]
