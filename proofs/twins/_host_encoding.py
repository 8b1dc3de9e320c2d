"""How the communication twin crosses to the runtime: raw values in, contexts out.

`HostEncoding` is the half of `proofs.twins.communication.CommunicationTwin` that reads
runtime values (as the user wrote them) into constant `Hosts`, contexts into `Target`
values, and models back into context dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self

import z3

from trust.constraints import ConstraintValue
from trust.constraints.builtin import NoHost, parse_target
from trust.proofs._evaluate import compile_terms, flatten, leaves, unflatten
from trust.proofs.twins._concrete import as_int
from trust.proofs.twins._hosts import (
    ABSENT,
    ADDRESS,
    CONTEXT_KEY,
    NAME,
    REAL_SPACE,
    UNREADABLE,
    Block,
    Form,
    Hosts,
    Labels,
    Part,
    Rule,
    Space,
    Target,
    parts_of,
)

_MERGES: dict[tuple[Any, ...], tuple[Hosts, Callable[..., tuple[Any, ...]]]] = {}
"""`CommunicationTwin._merge`'s compiled meets, by the twin's sizes and the operands'."""


class HostEncoding:
    """Runtime values and contexts in, contexts out; mixed into `CommunicationTwin`."""

    labels: tuple[str, ...]
    other: int
    rules: int
    blocks: int
    domain_labels: int
    host_labels: int
    space: Space
    internal: Sequence[tuple[str, ...]] | None
    id_bits: int
    length_bits: int
    _forms: dict[str, Form]

    def __init__(
        self,
        labels: Sequence[str],
        rules: int,
        blocks: int,
        domain_labels: int,
        host_labels: int,
        space: Space,
        internal: Sequence[tuple[str, ...]] | None,
    ) -> None:
        raise NotImplementedError  # the twin's own

    def constraint(self, name: str, rules: int | None = None, blocks: int | None = None) -> Hosts:
        raise NotImplementedError  # the twin's own

    def meet(self, a: Hosts, b: Hosts) -> Hosts:
        raise NotImplementedError  # the twin's own

    @classmethod
    def for_values(
        cls,
        values: Sequence[ConstraintValue],
        host_labels: int = 8,
        internal: Sequence[tuple[str, ...]] | None = None,
        least: HostEncoding | None = None,
    ) -> Self:
        """The twin over real addresses, big enough for every value of ``values``.

        ``least``: a twin whose labels and sizes this one includes at least (a test that
        draws many small universes keeps one twin, so its formulas compile once).

        Raises:
            ValueError: A value is not one the twin reads (see `encode`).
        """
        parts = [p for v in values for p in parts_of(v.raw_value, internal)]
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

    def _form(self, raw: object) -> Form:
        """The rules (label ids, required bits) and blocks (address, prefix) of ``raw``.

        An ``all_of`` is the twin's `meet` of its parts, evaluated (compiled once per size)
        and read back as constants.
        """
        key = repr(raw)
        found = self._forms.get(key)
        if found is None:
            parts = [self._part(p, raw) for p in parts_of(raw, self.internal)]
            found = parts[0]
            for part in parts[1:]:
                found = self._merge(found, part)
            self._forms[key] = found
        return found

    def _merge(self, a: Form, b: Form) -> Form:
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

    def _plain(self, form: Form, rule_slots: int, block_slots: int) -> Hosts:
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

    def _part(self, part: Part, raw: object) -> Form:
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

    def _host_of(self, ids: Sequence[int]) -> Labels:
        items = [*ids, *[0] * (self.host_labels - len(ids))]
        return Labels(
            z3.BitVecVal(len(ids), self.length_bits),
            tuple(z3.BitVecVal(i, self.id_bits) for i in items),
        )

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
