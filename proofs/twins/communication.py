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

import ipaddress
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import z3

from proofs._evaluate import compile_terms, flatten, leaves, unflatten
from proofs.twins._concrete import as_bool, as_int, first
from trust.constraints import ConstraintValue
from trust.constraints.builtin._target import NoHost, parse_target, read_host

CONTEXT_KEY = "communication_target"
LABELS = ("com", "openai", "api", "evil")
"""The labels of the law proofs' constraints; their hosts may also hold one other label."""
DOMAIN_LABELS = 2
HOST_LABELS = 4
BITS = 4
"""Address width per family in the law proofs: the prefix arithmetic is the same at any
width, and 32 bits (IPv4) or 128 (IPv6) only make the solver slower."""
INTERNAL_NAMES = (("localhost",), ("local",), ("internal",))
"""``internal_only``'s domains by default (last label first), besides the label rule."""
INTERNAL_LABEL = "internal"
PRIVATE_NETWORKS = (
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "::1/128",
    "fc00::/7",
)
"""``internal_only``'s addresses, as documented: loopback and private, not link-local."""
NAME, ADDRESS, ABSENT, UNREADABLE = 0, 1, 2, 3

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _bits(count: int) -> int:
    return max(1, math.ceil(math.log2(count + 1)))


def _fit(value: z3.BitVecRef, size: int) -> z3.BitVecRef:
    if value.size() < size:
        return z3.ZeroExt(size - value.size(), value)
    return z3.Extract(size - 1, 0, value) if value.size() > size else value


@attrs.frozen
class Space:
    """Where the twin's addresses live: a base network per family (IPv4, IPv6)."""

    v4: ipaddress.IPv4Network
    v6: ipaddress.IPv6Network

    @property
    def low(self) -> int:
        """Bits of an address below the family bit."""
        return max(32 - self.v4.prefixlen, 128 - self.v6.prefixlen)

    @property
    def width(self) -> int:
        return 1 + self.low

    def base(self, family: int) -> Network:
        return self.v6 if family else self.v4

    def _family_bits(self, family: int) -> int:
        return (128 if family else 32) - self.base(family).prefixlen

    def block(self, network: Network) -> tuple[int, int] | None:
        """(address, prefix) of a network inside the space, else None."""
        family = int(network.version == 6)
        base = self.base(family)
        if network.version != base.version or not network.subnet_of(base):  # type: ignore[arg-type]
            return None
        offset = int(network.network_address) - int(base.network_address)
        prefix = 1 + self.low - self._family_bits(family) + network.prefixlen - base.prefixlen
        return (family << self.low) | offset, prefix

    def address(self, address: Address) -> int | None:
        found = self.block(ipaddress.ip_network(address))
        return None if found is None else found[0]

    def network(self, value: int, prefix: int) -> Network:
        family = value >> self.low
        base = self.base(family)
        length = prefix - 1 - self.low + self._family_bits(family) + base.prefixlen
        start = base.network_address + (value & ((1 << self.low) - 1))
        return ipaddress.ip_network(f"{start}/{max(length, base.prefixlen)}")


LAW_SPACE = Space(ipaddress.IPv4Network("10.0.0.0/28"), ipaddress.IPv6Network("fd00::/124"))
REAL_SPACE = Space(ipaddress.IPv4Network("0.0.0.0/0"), ipaddress.IPv6Network("::/0"))


@attrs.frozen
class Labels:
    """A label sequence, last label first, as small bit vectors (label ids and a length)."""

    length: z3.BitVecRef
    items: tuple[z3.BitVecRef, ...]

    def starts(self, other: Labels) -> z3.BoolRef:
        """Whether ``self`` is a prefix of ``other`` (other is under this domain)."""
        return z3.And(
            z3.ULE(self.length, other.length),
            *[
                z3.Implies(z3.ULT(i, self.length), self.items[i] == other.items[i])
                for i in range(min(len(self.items), len(other.items)))
            ],
            *[z3.ULE(self.length, i) for i in range(len(other.items), len(self.items))],
        )

    def holds(self, label: int) -> z3.BoolRef:
        """Whether the label with id ``label`` is one of the sequence's."""
        return z3.Or(
            *[z3.And(z3.ULT(i, self.length), item == label) for i, item in enumerate(self.items)]
        )


def _pick(condition: z3.BoolRef, a: Labels, b: Labels) -> Labels:
    size = max(len(a.items), len(b.items))
    zero = z3.BitVecVal(0, a.items[0].size())
    pad = [*a.items, *[zero] * (size - len(a.items))]
    pbd = [*b.items, *[zero] * (size - len(b.items))]
    return Labels(
        z3.If(condition, a.length, b.length),
        tuple(z3.If(condition, x, y) for x, y in zip(pad, pbd, strict=True)),
    )


@attrs.frozen
class Rule:
    """Hosts starting with ``labels`` and holding every label of ``required`` (a bit set)."""

    on: z3.BoolRef
    labels: Labels
    required: z3.BitVecRef


@attrs.frozen
class Block:
    on: z3.BoolRef
    address: z3.BitVecRef
    prefix: z3.BitVecRef

    def mask(self) -> z3.BitVecRef:
        ones = z3.BitVecVal((1 << self.address.size()) - 1, self.address.size())
        return ~z3.LShR(ones, self.prefix)

    def holds(self, address: z3.BitVecRef) -> z3.BoolRef:
        return z3.And(self.on, address & self.mask() == self.address)

    def end(self) -> z3.BitVecRef:
        return self.address | ~self.mask()


@attrs.frozen
class Hosts:
    rules: tuple[Rule, ...]
    blocks: tuple[Block, ...]


@attrs.frozen
class Target:
    """A context: a hostname, an address, none, or one the runtime cannot read."""

    kind: z3.ArithRef
    host: Labels
    address: z3.BitVecRef


_MERGES: dict[tuple[Any, ...], tuple[Hosts, Callable[..., tuple[Any, ...]]]] = {}
"""`CommunicationTwin._merge`'s compiled meets, by the twin's sizes and the operands'."""


class CommunicationTwin:
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
        self.id_bits = _bits(self.other)
        self.length_bits = _bits(max(domain_labels, host_labels) + 1)
        self._forms: dict[str, _Form] = {}

    @classmethod
    def for_values(
        cls,
        values: Sequence[ConstraintValue],
        host_labels: int = 8,
        internal: Sequence[tuple[str, ...]] | None = None,
        least: CommunicationTwin | None = None,
    ) -> CommunicationTwin:
        """The twin over real addresses, big enough for every value of ``values``.

        ``least``: a twin whose labels and sizes this one includes at least (a test that
        draws many small universes keeps one twin, so its formulas compile once).

        Raises:
            ValueError: A value is not one the twin reads (see `encode`).
        """
        parts = [p for v in values for p in _parts(v.raw_value, internal)]
        names = {x for p in parts for d, s in p.rules for x in (*d, *s)}
        names |= set(least.labels if least is not None else ())
        longest = max([1, *[len(d) for p in parts for d, _ in p.rules]])
        longest = max(longest, least.domain_labels if least is not None else 1)
        draft = cls(sorted(names), 0, 0, longest, host_labels, REAL_SPACE, internal)
        forms = [draft._form(v.raw_value) for v in values]
        twin = cls(
            labels=sorted(names),
            rules=max([1, least.rules if least else 1, *[len(r) for r, _ in forms]]),
            blocks=max([1, least.blocks if least else 1, *[len(b) for _, b in forms]]),
            domain_labels=longest,
            host_labels=host_labels,
            space=REAL_SPACE,
            internal=internal,
        )
        twin._forms = draft._forms
        return twin

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
        one = z3.BitVecVal(1, size) << _fit(label, size)
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
            one = z3.BitVecVal(1, size) << _fit(item, size)
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
                _pick(x.labels.starts(y.labels), y.labels, x.labels),
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
            host = _pick(condition, candidate, host)
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

    def _host_of(self, ids: Sequence[int]) -> Labels:
        items = [*ids, *[0] * (self.host_labels - len(ids))]
        return Labels(
            z3.BitVecVal(len(ids), self.length_bits),
            tuple(z3.BitVecVal(i, self.id_bits) for i in items),
        )

    # -- showing -------------------------------------------------------------------------

    def _name(self, index: int) -> str:
        if 0 <= index < len(self.labels):
            return self.labels[index]
        other = "other"
        while other in self.labels:
            other += "x"
        return other

    def _host(self, model: z3.ModelRef, labels: Labels) -> str:
        length = as_int(model, labels.length)
        names = [
            self._name(as_int(model, x)) for x in labels.items[: min(length, len(labels.items))]
        ]
        return ".".join(reversed(names))

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

    # -- crossing to the runtime -----------------------------------------------------------

    def encode(self, value: ConstraintValue) -> Hosts:
        """The hosts ``value.raw_value`` denotes (see the module docstring).

        Raises:
            ValueError: The raw value is not one the twin reads, or holds more rules or
                blocks, longer domains, other labels or other addresses than this twin's.
        """
        rules, blocks = self._form(value.raw_value)
        if len(rules) > self.rules or len(blocks) > self.blocks:
            raise ValueError(
                f"the communication twin encodes up to {self.rules} rules and {self.blocks} "
                f"blocks, got {len(rules)} and {len(blocks)} in {value.raw_value!r}"
            )
        return self._hosts(rules, blocks, self.rules, self.blocks)

    def _form(self, raw: object) -> _Form:
        """The rules (label ids, required bits) and blocks (address, prefix) of ``raw``.

        An ``all_of`` is the twin's `meet` of its parts, evaluated (compiled once per size)
        and read back as constants.
        """
        key = repr(raw)
        found = self._forms.get(key)
        if found is None:
            parts = [self._part(p, raw) for p in _parts(raw, self.internal)]
            found = parts[0]
            for part in parts[1:]:
                found = self._merge(found, part)
            self._forms[key] = found
        return found

    def _merge(self, a: _Form, b: _Form) -> _Form:
        """The twin's `meet` of two constant forms, as a form."""
        # Padded with rules and blocks that are off to a power of two: few sizes to compile.
        sizes = tuple(1 << max(0, len(items) - 1).bit_length() for items in (*a, *b))
        key = (self.labels, self.domain_labels, self.length_bits, self.space, sizes)
        compiled = _MERGES.get(key)
        if compiled is None:
            x = self.constraint("x", sizes[0], sizes[1])
            y = self.constraint("y", sizes[2], sizes[3])
            met = self.meet(x, y)
            compiled = (met, compile_terms(leaves(met), leaves(x) + leaves(y)))
            if len(_MERGES) >= 256:
                _MERGES.clear()
            _MERGES[key] = compiled
        met, function = compiled
        values = flatten(self._plain(a, *sizes[:2])) + flatten(self._plain(b, *sizes[2:]))
        read = unflatten(met, function(*values))
        rules = [(tuple(r.labels.items[: r.labels.length]), r.required) for r in read.rules if r.on]
        blocks = [(b.address, b.prefix) for b in read.blocks if b.on]
        return tuple(dict.fromkeys(rules)), tuple(dict.fromkeys(blocks))

    def _plain(self, form: _Form, rule_slots: int, block_slots: int) -> Hosts:
        """A form as a `Hosts` of plain ints and bools (the constants of `_hosts`)."""
        rules, blocks = form
        padded = [(ids, bits, True) for ids, bits in rules]
        padded += [((), 0, False)] * (rule_slots - len(rules))
        held = [(a, p, True) for a, p in blocks] + [(0, 0, False)] * (block_slots - len(blocks))
        return Hosts(
            tuple(
                Rule(on, Labels(len(ids), (*ids, *[0] * (self.domain_labels - len(ids)))), bits)
                for ids, bits, on in padded
            ),
            tuple(Block(on, a, p) for a, p, on in held),
        )

    def _part(self, part: _Part, raw: object) -> _Form:
        rules = []
        for domain, required in part.rules:
            unknown = sorted((set(domain) | required) - set(self.labels))
            if unknown or len(domain) > self.domain_labels:
                raise ValueError(
                    f"the communication twin encodes domains of up to {self.domain_labels} "
                    f"labels among {list(self.labels)}, got {'.'.join(reversed(domain))!r} "
                    f"needing {sorted(required)} in {raw!r}"
                )
            ids = tuple(self.labels.index(label) for label in domain)
            rules.append((ids, sum(1 << self.labels.index(label) for label in required)))
        blocks = []
        for network in part.networks:
            found = self.space.block(network)
            if found is None:
                raise ValueError(
                    f"the communication twin encodes blocks inside {self.space.v4} and "
                    f"{self.space.v6}, got {network} in {raw!r}"
                )
            blocks.append(found)
        return tuple(rules), tuple(blocks)

    def _hosts(
        self,
        rules: Sequence[tuple[tuple[int, ...], int]],
        blocks: Sequence[tuple[int, int]],
        rule_slots: int,
        block_slots: int,
    ) -> Hosts:
        """Constant `Hosts`, padded with rules and blocks that are off."""
        size, width = max(1, self.other), self.space.width
        encoded = [
            Rule(z3.BoolVal(True), self._domain(ids), z3.BitVecVal(bits, size))
            for ids, bits in rules
        ]
        off = Rule(z3.BoolVal(False), self._domain(()), z3.BitVecVal(0, size))
        encoded += [off] * (rule_slots - len(rules))
        held = [
            Block(z3.BoolVal(True), z3.BitVecVal(a, width), z3.BitVecVal(p, width))
            for a, p in blocks
        ]
        zero = z3.BitVecVal(0, width)
        held += [Block(z3.BoolVal(False), zero, zero)] * (block_slots - len(blocks))
        return Hosts(tuple(encoded), tuple(held))

    def _domain(self, ids: Sequence[int]) -> Labels:
        items = [*ids, *[0] * (self.domain_labels - len(ids))]
        return Labels(
            z3.BitVecVal(len(ids), self.length_bits),
            tuple(z3.BitVecVal(i, self.id_bits) for i in items),
        )

    def encode_context(self, context: dict[str, Any]) -> Target:
        """The target's host or address, none, or unreadable (refused by every value).

        Raises:
            ValueError: The target is a subclass of str, a host longer than this twin's
                hosts, or an address outside its space.
        """
        no_host = self._host_of([])
        zero = z3.BitVecVal(0, self.space.width)
        if CONTEXT_KEY not in context:
            return Target(z3.IntVal(ABSENT), no_host, zero)
        target = context[CONTEXT_KEY]
        if type(target) is not str:
            if isinstance(target, str):
                raise ValueError(f"the communication twin reads exact strings, got {target!r}")
            return Target(z3.IntVal(UNREADABLE), no_host, zero)
        host = parse_target(target)
        if isinstance(host, NoHost):
            return Target(z3.IntVal(UNREADABLE), no_host, zero)
        if isinstance(host, str):
            labels = host.split("/")
            if len(labels) > self.host_labels:
                raise ValueError(
                    f"the communication twin encodes hosts of up to {self.host_labels} labels, "
                    f"got {target!r}"
                )
            ids = [self.labels.index(x) if x in self.labels else self.other for x in labels]
            return Target(z3.IntVal(NAME), self._host_of(ids), zero)
        address = self.space.address(host)
        if address is None:
            raise ValueError(f"the communication twin's space does not hold {target!r}")
        return Target(z3.IntVal(ADDRESS), no_host, z3.BitVecVal(address, self.space.width))

    def runtime_context(self, model: z3.ModelRef, x: Target) -> dict[str, Any]:
        """A model of a `Target` as the context dict the runtime's ``check`` reads."""
        kind = as_int(model, x.kind)
        if kind == ABSENT:
            return {}
        if kind == UNREADABLE:
            return {CONTEXT_KEY: "http://bad host/"}
        if kind == NAME:
            return {CONTEXT_KEY: self._host(model, x.host)}
        network = self.space.network(as_int(model, x.address), self.space.width)
        address = network.network_address
        return {CONTEXT_KEY: f"[{address}]" if address.version == 6 else str(address)}


_Form = tuple[tuple[tuple[tuple[int, ...], int], ...], tuple[tuple[int, int], ...]]
"""Rules as (label ids, required-label bits) and blocks as (address, prefix), as ints."""


@attrs.frozen
class _Part:
    """One value (of an ``all_of``): rules ``(domain, required labels)`` and networks."""

    rules: tuple[tuple[tuple[str, ...], frozenset[str]], ...]
    networks: tuple[Network, ...]


def _parts(raw: object, internal: Sequence[tuple[str, ...]] | None) -> list[_Part]:
    """The values a raw value intersects (one, or the items of an ``all_of``).

    Raises:
        ValueError: ``raw`` is not a communication value the twin reads.
    """
    if type(raw) is dict and list(raw) == ["all_of"] and type(raw["all_of"]) is list:
        parts = [p for item in raw["all_of"] for p in _parts(item, internal)]
        if not parts:
            raise ValueError(f"the communication twin reads no empty all_of, got {raw!r}")
        return parts
    mode, domains = _mode(raw)
    if mode == "none":
        return [_Part((), ())]
    if mode == "internal_only":
        names = INTERNAL_NAMES if internal is None else (("localhost",), *internal)
        rules = [(tuple(d), frozenset[str]()) for d in names]
        if internal is None:
            rules.append(((), frozenset({INTERNAL_LABEL})))
        networks = tuple(ipaddress.ip_network(n) for n in PRIVATE_NETWORKS)
        return [_Part(tuple(rules), networks)]
    return [_domains(domains, raw)]


def _mode(raw: object) -> tuple[str, object]:
    if type(raw) is str:
        mode, domains = raw, None
    elif type(raw) is dict and set(raw) <= {"mode", "allowed_domains"}:
        mode, domains = raw.get("mode", "none"), raw.get("allowed_domains")
    else:
        raise ValueError(f"the communication twin does not read {raw!r}")
    if type(mode) is not str or mode.strip().lower() not in (
        "none",
        "internal_only",
        "allowed_domains",
    ):
        raise ValueError(f"the communication twin does not read the mode of {raw!r}")
    return mode.strip().lower(), domains


def _domains(domains: object, raw: object) -> _Part:
    if not isinstance(domains, list | tuple | set | frozenset) or not all(
        type(d) is str for d in domains
    ):
        raise ValueError(f"the communication twin reads lists of domain strings, got {raw!r}")
    rules: list[tuple[tuple[str, ...], frozenset[str]]] = []
    networks: list[Network] = []
    for entry in domains:
        text = entry.strip().lower()
        try:
            networks.append(ipaddress.ip_network(text.strip("[]")))
            continue
        except ValueError:
            pass
        host = read_host(text)
        if not isinstance(host, str):
            raise ValueError(f"the communication twin reads no host in {entry!r} of {raw!r}")
        rules.append((tuple(host.split("/")), frozenset()))
    return _Part(tuple(dict.fromkeys(rules)), tuple(dict.fromkeys(networks)))
