"""The ``communication`` twin over the labels of given runtime values, for witnesses.

`CommunicationTwin` proves the laws over a fixed universe of four labels and domains of
at most two, so it cannot encode ``['api.openai.com', 'anthropic.com']``. A witness for a
delegation only needs the labels the values name: two hosts that differ only in labels
neither value names are allowed by exactly the same domains. So `ValuesCommunicationTwin`
takes its universe from the values (their labels, plus one spare label standing for every
other), any number of domains per value, and domains and hosts as long as the values'
(hosts one label longer). Tightening, compose and the witness are `CommunicationTwin`'s,
which hold for any number of domains and any length.

Its bounds: at most `MAX_LABELS` distinct labels in all the values, at most `MAX_LENGTH`
labels per host, and blocks inside the law twin's 10.0.0.0/28; ``internal_only`` and
composed values (an ``all_of``) are not encoded. Outside them, ``encode`` raises a
ValueError that says which bound.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

import z3

from proofs.twins._concrete import as_int
from proofs.twins.communication import (
    _BASE,
    ABSENT,
    ADDRESS,
    BITS,
    NAME,
    Block,
    CommunicationTwin,
    Domain,
    Hosts,
    Labels,
    Target,
)
from trust.constraints import ConstraintValue
from trust.constraints.builtin._communication import CONTEXT_KEY, HostSet
from trust.constraints.builtin._target import parse_target

_WIDTH = 3
"""Bits of a label id and of a length (`Labels` uses 3)."""

MAX_LABELS = (1 << _WIDTH) - 1
"""Distinct labels the values may name: with the spare label, every id of `_WIDTH` bits."""

MAX_LENGTH = (1 << _WIDTH) - 1
"""Labels per host: the largest length of `_WIDTH` bits."""


def _globs(value: ConstraintValue) -> tuple[str, ...]:
    hosts: HostSet = value.parsed
    conjuncts = hosts.names.conjuncts
    if len(conjuncts) != 1 or not all(g.endswith("/**") for g in conjuncts[0]):
        raise ValueError(
            "the communication witness twin encodes allowed_domains lists and 'none', not "
            f"internal_only or composed values, got {value.raw_value!r}"
        )
    return conjuncts[0]


def _domain_labels(glob: str) -> list[str]:
    return glob[: -len("/**")].split("/")


def _spare(labels: set[str]) -> str:
    spare = "other"
    while spare in labels:
        spare += "x"
    return spare


class ValuesCommunicationTwin(CommunicationTwin):
    """`CommunicationTwin` over the labels of ``values`` (see the module docstring)."""

    def __init__(self, values: Sequence[ConstraintValue]) -> None:
        domains = [_domain_labels(g) for value in values for g in _globs(value)]
        named = {label for labels in domains for label in labels}
        if len(named) > MAX_LABELS:
            raise ValueError(
                f"the communication witness twin encodes values naming at most {MAX_LABELS} "
                f"distinct labels, got {len(named)}: {sorted(named)}"
            )
        self.labels = (*sorted(named), _spare(named))
        self.domain_length = max((len(labels) for labels in domains), default=1)
        self.host_length = self.domain_length + 1
        if self.host_length > MAX_LENGTH:
            raise ValueError(
                f"the communication witness twin encodes domains of at most {MAX_LENGTH - 1} "
                f"labels, got one of {self.domain_length}"
            )

    def _encoded(self, reversed_labels: Sequence[str], size: int) -> Labels:
        spare = len(self.labels) - 1
        items = [self.labels.index(x) if x in self.labels else spare for x in reversed_labels]
        items += [0] * (size - len(items))
        return Labels(
            z3.BitVecVal(len(reversed_labels), _WIDTH),
            tuple(z3.BitVecVal(i, _WIDTH) for i in items),
        )

    def _ok(self, labels: Labels) -> z3.BoolRef:
        return z3.And(
            z3.ULE(1, labels.length),
            z3.ULE(labels.length, len(labels.items)),
            *[z3.ULT(x, len(self.labels)) for x in labels.items],
        )

    def context(self, name: str) -> Target:
        return Target(
            z3.Int(f"{name}.kind"),
            Labels.fresh(f"{name}.host", self.host_length),
            z3.BitVec(f"{name}.address", BITS),
        )

    def admissible(self, x: Target) -> z3.BoolRef:
        return z3.And(x.kind >= NAME, x.kind <= ABSENT, self._ok(x.host))

    def encode(self, value: ConstraintValue) -> Hosts:
        domains = tuple(
            Domain(z3.BoolVal(True), self._encoded(_domain_labels(g), self.domain_length))
            for g in _globs(value)
        )
        networks = value.parsed.networks
        if not all(isinstance(n, ipaddress.IPv4Network) and n.subnet_of(_BASE) for n in networks):
            raise ValueError(
                f"the communication witness twin encodes blocks inside {_BASE}, got "
                f"{value.raw_value!r}"
            )
        blocks = tuple(
            Block(
                z3.BoolVal(True),
                z3.BitVecVal(int(n.network_address) - int(_BASE.network_address), BITS),
                z3.BitVecVal(n.prefixlen - _BASE.prefixlen, BITS),
            )
            for n in networks
        )
        # An entry that is off keeps the tuples non-empty for z3.Or.
        off_domain = Domain(z3.BoolVal(False), self._encoded(["x"], self.domain_length))
        off_block = Block(z3.BoolVal(False), z3.BitVecVal(0, BITS), z3.BitVecVal(0, BITS))
        return Hosts(domains or (off_domain,), blocks or (off_block,))

    def encode_context(self, context: dict[str, Any]) -> Target:
        no_host = self._encoded(["x"], self.host_length)
        if CONTEXT_KEY not in context:
            return Target(z3.IntVal(ABSENT), no_host, z3.BitVecVal(0, BITS))
        target = context[CONTEXT_KEY]
        host = parse_target(target) if isinstance(target, str) else None
        if isinstance(host, str) and len(host.split("/")) <= self.host_length:
            labels = self._encoded(host.split("/"), self.host_length)
            return Target(z3.IntVal(NAME), labels, z3.BitVecVal(0, BITS))
        if isinstance(host, ipaddress.IPv4Address) and host in _BASE:
            offset = int(host) - int(_BASE.network_address)
            return Target(z3.IntVal(ADDRESS), no_host, z3.BitVecVal(offset, BITS))
        raise ValueError(f"the communication witness twin does not encode the target {target!r}")

    def _host(self, model: z3.ModelRef, labels: Labels) -> str:
        length = as_int(model, labels.length)
        names = [self.labels[as_int(model, labels.items[i])] for i in range(length)]
        return ".".join(reversed(names))

    def runtime_context(self, model: z3.ModelRef, x: Target) -> dict[str, Any]:
        kind = as_int(model, x.kind)
        if kind == ABSENT:
            return {}
        if kind == NAME:
            return {CONTEXT_KEY: self._host(model, x.host)}
        return {CONTEXT_KEY: str(_BASE.network_address + as_int(model, x.address))}


__all__ = ["MAX_LABELS", "MAX_LENGTH", "ValuesCommunicationTwin"]
