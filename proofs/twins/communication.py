"""The twin of ``communication``: hosts as label sequences, addresses as bit vectors.

Unbounded domain: hostnames and IP addresses. A fresh constraint of the law proofs is an
``allowed_domains`` list of up to two domains and one CIDR block (``none`` is
the list with nothing on). A domain is a sequence of labels (drawn from `LABELS`, as
integers, for readable counterexamples; any number of labels); it allows every host whose
label sequence ends with it (domains of up to `DOMAIN_LABELS` labels, hosts of up to
`HOST_LABELS`, a bound of the proofs), which is what the runtime's reversed-label glob
``com/openai/**`` means. A block allows the addresses that agree with it on its prefix.
Compose pairs entries up: two domains meet in the longer when one is under the other, two
blocks in the smaller when one holds the other, as the runtime does.

Tightening, quantifier-free and exact: a child domain must lie under a parent domain (the
child domain is itself a host it allows), and every child block must be covered by the
union of the parent's blocks; the least uncovered address, if any, is the block's first
address or one past the end of a parent block, so only those are checked. (One block per
constraint keeps the proofs within budget; the covering argument is written for any
number.)

`CommunicationTwin.encode` and ``encode_context`` translate runtime values and contexts
that lie inside these bounds (labels of `LABELS`, blocks inside 10.0.0.0/28) and refuse
the rest with a ValueError; `runtime_context` turns a model back into a context dict.

The twin starts from a target's host: which strings have one is the runtime's
`parse_target`, which refuses every target that real HTTP clients could read as another
host; tests/test_constraints_ssrf.py holds it to what browsers (WHATWG), urllib.parse,
urllib3, httpx and curl read from a corpus of parser-confusion targets.

Addresses have `BITS` bits in the law proofs (shown inside 10.0.0.0/24); IPv4 and IPv6
use the same prefix arithmetic on 32 and 128 bits. Not in the law proofs: ``internal_only``'s
label rule (``**/internal/**``). Both are covered for real values by the differential
tests, which compare the runtime with `proofs.twins.globs` regexes over reversed labels.
"""

from __future__ import annotations

import ipaddress
import itertools
from typing import Any

import attrs
import z3

from proofs.twins._concrete import as_bool, as_int, first
from trust.constraints import ConstraintValue
from trust.constraints.builtin._communication import CONTEXT_KEY, HostSet
from trust.constraints.builtin._target import parse_target

LABELS = ("com", "openai", "api", "evil")
DOMAIN_LABELS = 2
HOST_LABELS = 3
BITS = 4
"""Address width of the law proofs: the prefix arithmetic is the same at any width, and 32
bits (IPv4) or 128 (IPv6) only make the solver slower."""
_ONES = (1 << BITS) - 1
_DOMAINS = 2
_BLOCKS = 1
NAME, ADDRESS, ABSENT = 0, 1, 2


@attrs.frozen
class Labels:
    """A label sequence, last label first (``api.openai.com`` is com, openai, api).

    Lengths and label ids are small bit vectors: the solver bit-blasts them quickly.
    """

    length: z3.BitVecRef
    items: tuple[z3.BitVecRef, ...]

    @classmethod
    def fresh(cls, name: str, size: int) -> Labels:
        return cls(
            z3.BitVec(f"{name}.length", 3), tuple(z3.BitVec(f"{name}.{i}", 3) for i in range(size))
        )

    def ok(self) -> z3.BoolRef:
        return z3.And(
            z3.ULE(1, self.length),
            z3.ULE(self.length, len(self.items)),
            *[z3.ULT(x, len(LABELS)) for x in self.items],
        )

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


def _pick(condition: z3.BoolRef, a: Labels, b: Labels) -> Labels:
    size = max(len(a.items), len(b.items))
    pad = [*a.items, *[z3.BitVecVal(0, 3)] * (size - len(a.items))]
    pbd = [*b.items, *[z3.BitVecVal(0, 3)] * (size - len(b.items))]
    return Labels(
        z3.If(condition, a.length, b.length),
        tuple(z3.If(condition, x, y) for x, y in zip(pad, pbd, strict=True)),
    )


@attrs.frozen
class Domain:
    on: z3.BoolRef
    labels: Labels


@attrs.frozen
class Block:
    on: z3.BoolRef
    address: z3.BitVecRef
    prefix: z3.BitVecRef

    def mask(self) -> z3.BitVecRef:
        return ~z3.LShR(z3.BitVecVal(_ONES, BITS), self.prefix)

    def holds(self, address: z3.BitVecRef) -> z3.BoolRef:
        return z3.And(self.on, address & self.mask() == self.address)

    def end(self) -> z3.BitVecRef:
        return self.address | ~self.mask()


@attrs.frozen
class Hosts:
    domains: tuple[Domain, ...]
    blocks: tuple[Block, ...]


@attrs.frozen
class Target:
    """A context: a hostname, an address, or no target (`NAME`, `ADDRESS`, `ABSENT`)."""

    kind: z3.ArithRef
    host: Labels
    address: z3.BitVecRef


def _under(host: Labels, domain: Domain) -> z3.BoolRef:
    return z3.And(domain.on, domain.labels.starts(host))


def _named(c: Hosts, host: Labels) -> z3.BoolRef:
    return z3.Or(*[_under(host, d) for d in c.domains])


def _addressed(c: Hosts, address: z3.BitVecRef) -> z3.BoolRef:
    return z3.Or(*[b.holds(address) for b in c.blocks])


def _address_candidates(child: Hosts, parent: Hosts) -> list[tuple[z3.BoolRef, z3.BitVecRef]]:
    starts = [(b.on, b.address) for b in child.blocks]
    after = [(z3.And(b.on, b.end() != _ONES), b.end() + 1) for b in parent.blocks]
    return [
        (z3.And(on, _addressed(child, a), z3.Not(_addressed(parent, a))), a)
        for on, a in starts + after
    ]


def _loose_domains(child: Hosts, parent: Hosts) -> list[tuple[z3.BoolRef, Labels]]:
    return [(z3.And(d.on, z3.Not(_named(parent, d.labels))), d.labels) for d in child.domains]


def _dotted(address: int) -> str:
    # The proofs' addresses are the last BITS bits of 10.0.0.0/(32 - BITS).
    return f"10.0.0.{address}" if BITS <= 8 else str(address)


class CommunicationTwin:
    """Domains and IPv4 blocks; see the module docstring."""

    exact = True

    def constraint(self, name: str) -> Hosts:
        return Hosts(
            tuple(
                Domain(
                    z3.Bool(f"{name}.domain{k}.on"),
                    Labels.fresh(f"{name}.domain{k}", DOMAIN_LABELS),
                )
                for k in range(_DOMAINS)
            ),
            tuple(
                Block(
                    z3.Bool(f"{name}.block{k}.on"),
                    z3.BitVec(f"{name}.block{k}", BITS),
                    z3.BitVec(f"{name}.block{k}.prefix", BITS),
                )
                for k in range(_BLOCKS)
            ),
        )

    def context(self, name: str) -> Target:
        return Target(
            z3.Int(f"{name}.kind"),
            Labels.fresh(f"{name}.host", HOST_LABELS),
            z3.BitVec(f"{name}.address", BITS),
        )

    def well_formed(self, c: Hosts) -> z3.BoolRef:
        return z3.And(
            *[d.labels.ok() for d in c.domains],
            *[z3.And(z3.ULE(b.prefix, BITS), b.address & ~b.mask() == 0) for b in c.blocks],
        )

    def admissible(self, x: Target) -> z3.BoolRef:
        return z3.And(x.kind >= NAME, x.kind <= ABSENT, x.host.ok())

    def allows(self, c: Hosts, x: Target) -> z3.BoolRef:
        return z3.Or(
            x.kind == ABSENT,
            z3.And(x.kind == NAME, _named(c, x.host)),
            z3.And(x.kind == ADDRESS, _addressed(c, x.address)),
        )

    def tighter(self, child: Hosts, parent: Hosts) -> z3.BoolRef:
        return z3.And(
            *[z3.Not(loose) for loose, _ in _loose_domains(child, parent)],
            *[z3.Not(loose) for loose, _ in _address_candidates(child, parent)],
        )

    def meet(self, a: Hosts, b: Hosts) -> Hosts:
        domains = tuple(
            Domain(
                z3.And(x.on, y.on, z3.Or(x.labels.starts(y.labels), y.labels.starts(x.labels))),
                _pick(x.labels.starts(y.labels), y.labels, x.labels),
            )
            for x, y in itertools.product(a.domains, b.domains)
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
        return Hosts(domains, blocks)

    def witness(self, child: Hosts, parent: Hosts) -> Target:
        loose_names = _loose_domains(child, parent)
        any_name = z3.Or(*[loose for loose, _ in loose_names])
        host = loose_names[0][1]
        for loose, labels in reversed(loose_names[1:]):
            host = _pick(z3.And(z3.Not(loose_names[0][0]), loose), labels, host)
        padded = _pick(z3.BoolVal(True), host, Labels.fresh("unused", HOST_LABELS))
        address = first(_address_candidates(child, parent), z3.BitVecVal(0, BITS))
        return Target(z3.If(any_name, z3.IntVal(NAME), z3.IntVal(ADDRESS)), padded, address)

    def encode(self, value: ConstraintValue) -> Hosts:
        return encode(value)

    def encode_context(self, context: dict[str, Any]) -> Target:
        return encode_context(context)

    def runtime_context(self, model: z3.ModelRef, x: Target) -> dict[str, Any]:
        return runtime_context(model, x)

    def _host(self, model: z3.ModelRef, labels: Labels) -> str:
        length = as_int(model, labels.length)
        names = []
        for i in range(min(length, len(labels.items))):
            index = as_int(model, labels.items[i])
            names.append(LABELS[index] if 0 <= index < len(LABELS) else f"label{index}")
        return ".".join(reversed(names))

    def _block(self, model: z3.ModelRef, b: Block) -> str:
        address = as_int(model, b.address)
        return f"{_dotted(address)}/{as_int(model, b.prefix) + 32 - BITS}"

    def show_constraint(self, model: z3.ModelRef, c: Hosts) -> str:
        entries = [self._host(model, d.labels) for d in c.domains if as_bool(model, d.on)]
        entries += [self._block(model, b) for b in c.blocks if as_bool(model, b.on)]
        if not entries:
            return "'none'"
        return repr({"mode": "allowed_domains", "allowed_domains": entries})

    def show_context(self, model: z3.ModelRef, x: Target) -> str:
        kind = as_int(model, x.kind)
        if kind == ABSENT:
            return "no communication_target"
        if kind == NAME:
            return f"communication_target {self._host(model, x.host)!r}"
        address = as_int(model, x.address)
        return f"communication_target {_dotted(address)!r}"


# -- runtime values in, runtime contexts out (see `proofs.twins.ConcreteTwin`) ----------

_BASE = ipaddress.IPv4Network(f"10.0.0.0/{32 - BITS}")
"""The addresses the twin's `BITS`-bit blocks stand for."""


def _labels(reversed_labels: list[str], size: int, what: str) -> Labels:
    if not 1 <= len(reversed_labels) <= size or not set(reversed_labels) <= set(LABELS):
        raise ValueError(
            f"the communication twin encodes {what}s of 1 to {size} labels among {LABELS}, "
            f"got {'.'.join(reversed(reversed_labels))!r}"
        )
    items = [LABELS.index(label) for label in reversed_labels]
    items += [0] * (size - len(items))
    return Labels(z3.BitVecVal(len(reversed_labels), 3), tuple(z3.BitVecVal(i, 3) for i in items))


def encode(value: ConstraintValue) -> Hosts:
    """A parsed ``communication`` value inside the twin's bounds, as a closed `Hosts`.

    Raises:
        ValueError: The value lies outside the bounds of the module docstring.
    """
    hosts: HostSet = value.parsed
    conjuncts = hosts.names.conjuncts
    globs = conjuncts[0] if len(conjuncts) == 1 else None
    if globs is None or len(globs) > _DOMAINS or not all(g.endswith("/**") for g in globs):
        raise ValueError(
            f"the communication twin encodes up to {_DOMAINS} allowed domains, got "
            f"{value.raw_value!r}"
        )
    networks = hosts.networks
    if len(networks) > _BLOCKS or not all(
        isinstance(n, ipaddress.IPv4Network) and n.subnet_of(_BASE) for n in networks
    ):
        raise ValueError(
            f"the communication twin encodes up to {_BLOCKS} block inside {_BASE}, got "
            f"{value.raw_value!r}"
        )
    off = Labels(z3.BitVecVal(1, 3), (z3.BitVecVal(0, 3),) * DOMAIN_LABELS)
    domains = [
        Domain(z3.BoolVal(True), _labels(g[: -len("/**")].split("/"), DOMAIN_LABELS, "domain"))
        for g in globs
    ]
    domains += [Domain(z3.BoolVal(False), off)] * (_DOMAINS - len(domains))
    blocks = [
        Block(
            z3.BoolVal(True),
            z3.BitVecVal(int(n.network_address) - int(_BASE.network_address), BITS),
            z3.BitVecVal(n.prefixlen - _BASE.prefixlen, BITS),
        )
        for n in networks
    ]
    blocks += [Block(z3.BoolVal(False), z3.BitVecVal(0, BITS), z3.BitVecVal(0, BITS))] * (
        _BLOCKS - len(blocks)
    )
    return Hosts(tuple(domains), tuple(blocks))


def encode_context(context: dict[str, Any]) -> Target:
    """A context whose target lies inside the twin's bounds, as a closed `Target`.

    Raises:
        ValueError: The target is not a host or address the twin encodes.
    """
    no_host = Labels(z3.BitVecVal(1, 3), (z3.BitVecVal(0, 3),) * HOST_LABELS)
    if CONTEXT_KEY not in context:
        return Target(z3.IntVal(ABSENT), no_host, z3.BitVecVal(0, BITS))
    target = context[CONTEXT_KEY]
    host = parse_target(target) if isinstance(target, str) else ("not a string",)
    if isinstance(host, str):
        return Target(
            z3.IntVal(NAME), _labels(host.split("/"), HOST_LABELS, "host"), z3.BitVecVal(0, BITS)
        )
    if isinstance(host, ipaddress.IPv4Address) and host in _BASE:
        offset = int(host) - int(_BASE.network_address)
        return Target(z3.IntVal(ADDRESS), no_host, z3.BitVecVal(offset, BITS))
    raise ValueError(f"the communication twin does not encode the target {target!r}")


def runtime_context(model: z3.ModelRef, x: Target) -> dict[str, Any]:
    """A model of a `Target` as the context dict the runtime's ``check`` reads."""
    kind = as_int(model, x.kind)
    if kind == ABSENT:
        return {}
    if kind == NAME:
        return {CONTEXT_KEY: CommunicationTwin()._host(model, x.host)}
    address = _BASE.network_address + as_int(model, x.address)
    return {CONTEXT_KEY: str(address)}
