"""The values of the communication twin: label sequences, rules, address blocks, and how a
raw ``communication`` value reads as rules and networks (see `proofs.twins.communication`).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping, Sequence

import attrs
import z3

from trust.constraints.builtin import read_host
from trust.proofs.twins._concrete import all_of

CONTEXT_KEY = "communication_target"
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


def bits_for(count: int) -> int:
    """Bits of an unsigned number up to ``count``."""
    return max(1, math.ceil(math.log2(count + 1)))


def fit(value: z3.BitVecRef, size: int) -> z3.BitVecRef:
    """``value`` zero-extended or cut to ``size`` bits."""
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

    def _familybits_for(self, family: int) -> int:
        return (128 if family else 32) - self.base(family).prefixlen

    def block(self, network: Network) -> tuple[int, int] | None:
        """(address, prefix) of a network inside the space, else None."""
        family = int(network.version == 6)
        base = self.base(family)
        if network.version != base.version or not network.subnet_of(base):  # type: ignore[arg-type]
            return None
        offset = int(network.network_address) - int(base.network_address)
        prefix = 1 + self.low - self._familybits_for(family) + network.prefixlen - base.prefixlen
        return (family << self.low) | offset, prefix

    def address(self, address: Address) -> int | None:
        found = self.block(ipaddress.ip_network(address))
        return None if found is None else found[0]

    def network(self, value: int, prefix: int) -> Network:
        family = value >> self.low
        base = self.base(family)
        length = prefix - 1 - self.low + self._familybits_for(family) + base.prefixlen
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


def pick(condition: z3.BoolRef, a: Labels, b: Labels) -> Labels:
    """``a`` if ``condition`` else ``b`` (the shorter padded)."""
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


Form = tuple[tuple[tuple[tuple[int, ...], int], ...], tuple[tuple[int, int], ...]]
"""Rules as (label ids, required-label bits) and blocks as (address, prefix), as ints."""


@attrs.frozen
class Part:
    """One value (of an ``all_of``): rules ``(domain, required labels)`` and networks."""

    rules: tuple[tuple[tuple[str, ...], frozenset[str]], ...]
    networks: tuple[Network, ...]


def parts_of(raw: object, internal: Sequence[tuple[str, ...]] | None) -> list[Part]:
    """The values a raw value intersects (one, or the items of an ``all_of``).

    Raises:
        ValueError: ``raw`` is not a communication value the twin reads.
    """
    items = all_of(raw)
    if items is not None:
        parts = [p for item in items for p in parts_of(item, internal)]
        if not parts:
            raise ValueError(f"the communication twin reads no empty all_of, got {raw!r}")
        return parts
    mode, domains = _mode(raw)
    if mode == "none":
        return [Part((), ())]
    if mode == "internal_only":
        names = INTERNAL_NAMES if internal is None else (("localhost",), *internal)
        rules = [(tuple(d), frozenset[str]()) for d in names]
        if internal is None:
            rules.append(((), frozenset({INTERNAL_LABEL})))
        networks = tuple(ipaddress.ip_network(n) for n in PRIVATE_NETWORKS)
        return [Part(tuple(rules), networks)]
    return [_domains(domains, raw)]


def _mode(raw: object) -> tuple[str, object]:
    if type(raw) is str:
        mode, domains = raw, None
    elif isinstance(raw, Mapping) and set(raw) <= {"mode", "allowed_domains"}:
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


def _domains(domains: object, raw: object) -> Part:
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
    return Part(tuple(dict.fromkeys(rules)), tuple(dict.fromkeys(networks)))
