"""``communication``: which hosts an agent may talk to.

The target's host is read from ``communication_target`` by `parse_target`: a URL
(``https://h:443/p``), a bare host (``h``, ``h:443``) or an IP literal (``10.0.0.1``,
``[::1]``), read so that every HTTP client would connect to the same host, and refused
with the ambiguity named when they might not (backslashes, userinfo, percent-encoded,
non-ASCII or numeric-shorthand hosts, IPv6 addresses embedding IPv4 ones: see
``trust/constraints/builtin/_target.py``). The host is lower-cased and one trailing dot
is stripped.

Set semantics: every constraint is a `HostSet`, a set of hosts:

- ``none``: no host.
- ``allowed_domains``: each listed domain ``d`` allows ``d`` and every host ending in
  ``"." + d`` (never a substring: ``evilopenai.com`` is not under ``openai.com``). An IP
  literal or CIDR network in the list allows exactly those addresses.
- ``internal_only``: ``localhost`` and hosts under ``.localhost``; loopback and private IP
  literals (127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, ::1, fc00::/7; not
  link-local, so not cloud metadata endpoints); and, by default, hosts under ``.internal``
  or ``.local`` or with ``internal`` as a whole label (``api.internal.company.com``).
  ``CommunicationDimension(internal_domains=[...])`` replaces those name rules with "hosts
  under one of these domains" (localhost and the IP ranges stay).

Hostnames are stored as globs over their reversed labels (``api.openai.com`` is the path
``com/openai/api``; "under openai.com" is ``com/openai/**``; "has the label internal" is
``**/internal/**``), so tightening is exact language inclusion and compose exact
intersection, with the glob engine's witness host. IP parts are unions of CIDR blocks:
inclusion and intersection are exact, by bisection over the sorted blocks (thousands of
addresses compare in milliseconds). ``{"all_of": [...]}`` is the intersection.

Context: ``communication_target`` absent means no communication, which passes (also under
``none``). A non-string, or a string with no valid host, fails.
"""

from __future__ import annotations

import bisect
import ipaddress
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_str, snapshot
from trust.constraints._cache import MISSING, BoundedCache
from trust.constraints._dimension import ConstraintCheckResult, ConstraintValue, unchecked_result
from trust.constraints.builtin._glob import GlobSet
from trust.constraints.builtin._lattice import (
    RECENT_RESULTS,
    BuiltinDimension,
    all_of_items,
    not_a_mapping,
)
from trust.constraints.builtin._target import Address, NoHost, parse_target, read_host

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CONTEXT_KEY = "communication_target"
PRIVATE_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)
DEFAULT_INTERNAL_NAMES = ("localhost/**", "local/**", "internal/**", "**/internal/**")


def _networks(value: object) -> tuple[Network, ...]:
    if not isinstance(value, tuple):
        raise InvalidTypeError(f"networks must be a tuple, got {check.shown(value)}")
    v4 = [n for n in value if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in value if isinstance(n, ipaddress.IPv6Network)]
    if len(v4) + len(v6) != len(value):
        raise InvalidTypeError(f"networks must hold IP networks, got {check.shown(value)}")
    return (*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6))


class _Blocks:
    """Collapsed networks (sorted and disjoint within each version), searched by bisection.

    CIDR blocks are nested or disjoint, so a network lies in one of them only if it lies
    in the last one starting at or before it: a lookup is logarithmic, and comparing two
    lists of thousands of blocks stays fast.
    """

    def __init__(self, blocks: tuple[Network, ...]) -> None:
        self.blocks = blocks
        self.starts = [(b.version, int(b.network_address)) for b in blocks]

    def cover(self, network: Network) -> bool:
        index = bisect.bisect_right(self.starts, (network.version, int(network.network_address)))
        if index == 0:
            return False
        block = self.blocks[index - 1]
        return block.version == network.version and network.subnet_of(block)  # type: ignore[arg-type]


def _uncovered_address(network: Network, blocks: tuple[Network, ...]) -> Address:
    """An address of ``network`` in none of ``blocks`` (collapsed, so disjoint and sorted)."""
    candidate = network.network_address
    for block in blocks:
        if block.version == network.version and candidate in block:
            candidate = block.broadcast_address + 1
    return candidate


@attrs.frozen(cache_hash=True)
class HostSet:
    """Hostnames matched by ``names`` (reversed-label globs) plus addresses in ``networks``."""

    names: GlobSet
    networks: tuple[Network, ...] = attrs.field(default=(), converter=_networks)
    label: str = attrs.field(default="", eq=False)

    def allows(self, host: str | Address) -> bool:
        if isinstance(host, str):
            return self.names.matches(host)
        return any(host in network for network in self.networks)

    def is_within(self, other: HostSet) -> bool:
        if not self.names.is_within(other.names):
            return False
        blocks = _Blocks(other.networks)
        return all(blocks.cover(n) for n in self.networks)

    def meet(self, other: HostSet) -> HostSet:
        return HostSet.meet_all([self, other])

    @classmethod
    def meet_all(cls, sets: Sequence[HostSet]) -> HostSet:
        """The intersection: the names' in one glob meet (one work budget for all of them),
        the networks' by bisection (nested blocks keep the smaller, disjoint ones none)."""
        networks = sets[0].networks
        for other in sets[1:]:
            mine, theirs = _Blocks(networks), _Blocks(other.networks)
            networks = (
                *(a for a in networks if theirs.cover(a)),
                *(b for b in other.networks if mine.cover(b)),
            )
        names = GlobSet.meet_all([s.names for s in sets])
        return cls(names, networks, " and ".join(s.label for s in sets))

    def example_outside(self, other: HostSet) -> str | None:
        example = self.target_outside(other)
        if example is None:
            return None
        return f"the child allows {{'{CONTEXT_KEY}': {example!r}}}, the parent does not"

    def target_outside(self, other: HostSet) -> str | None:
        """A ``communication_target`` this set allows and ``other`` refuses, or None."""
        path = self.names.example_outside(other.names)
        if path is not None:
            return ".".join(reversed(path.split("/")))
        blocks = _Blocks(other.networks)
        loose = [n for n in self.networks if not blocks.cover(n)]
        if not loose:
            return None
        address = _uncovered_address(loose[0], other.networks)
        # Bracketed: an IPv6 target without brackets is refused.
        return f"[{address}]" if address.version == 6 else str(address)


NO_HOSTS = HostSet(
    GlobSet(((),)), (), "the empty set (mode none: all external communication blocked)"
)


def _entry(value: object, name: str) -> tuple[str, str | None, Network | None]:
    """A domain entry as its text and a reversed-label glob, or its text and a network."""
    entry = exact_str(value)
    if entry is None:
        raise InvalidTypeError(f"{name} entries must be strings, got {check.shown(value)}")
    text = entry.strip().lower()
    try:
        return entry, None, ipaddress.ip_network(text.strip("[]"))
    except ValueError:
        pass
    host = read_host(text)
    if not isinstance(host, str):
        why = f" ({host.reason})" if isinstance(host, NoHost) else ""
        raise InvalidValueError(
            f"{name} entries must be domain names (no scheme, port, path or '*'; a domain "
            f"already covers its subdomains) or IP networks, got {check.shown(entry)}{why}"
        )
    return entry, f"{host}/**", None


def domains_set(
    domains: object, name: str, label: str | None = None, extra_names: Iterable[str] = ()
) -> HostSet:
    """The hosts under ``domains`` (plus ``extra_names`` globs), labelled by the list."""
    if isinstance(domains, str) or not isinstance(domains, list | tuple | set | frozenset):
        raise InvalidTypeError(f"{name} must be a list of domains, got {check.shown(domains)}")
    entries, globs, networks = [], list(extra_names), []
    for domain in tuple(domains):
        entry, glob, network = _entry(domain, name)
        entries.append(entry)
        if glob is not None:
            globs.append(glob)
        if network is not None:
            networks.append(network)
    shown = f"allowed domains {sorted(entries)}" if label is None else label
    return HostSet(GlobSet.union(globs), tuple(networks), shown)


_MODES = ("none", "internal_only", "allowed_domains")

RECENT_BYTES = 16 * 1024 * 1024
"""Bytes the remembered verdicts may hold together: their targets (up to 2 KiB each) and
the host sets they keep alive."""


def _weight(key: tuple[HostSet, str], _: ConstraintCheckResult) -> int:
    # The entry keeps its host set alive: count what its name globs hold too.
    return sys.getsizeof(key[1]) + 400 + key[0].names.held_bytes


class CommunicationDimension(BuiltinDimension[HostSet]):
    """External communication restrictions: ``none``, ``internal_only``, ``allowed_domains``.

    Args:
        internal_domains: Replaces the default name rules of ``internal_only`` with "hosts
            under one of these domains"; localhost and private IP literals stay internal.
    """

    value_type = HostSet

    def __init__(self, internal_domains: Iterable[str] | None = None) -> None:
        # Verdicts by (host set, target): a pure function, asked about the same few hosts.
        self._recent: BoundedCache[tuple[HostSet, str], ConstraintCheckResult] = BoundedCache(
            RECENT_RESULTS, max_bytes=RECENT_BYTES, weigh=_weight
        )
        self._internal_domains: tuple[str, ...] | None = None
        if internal_domains is None:
            self._internal = HostSet(
                GlobSet.union(DEFAULT_INTERNAL_NAMES), PRIVATE_NETWORKS, "internal hosts"
            )
        else:
            domains = internal_domains
            if not isinstance(domains, str) and isinstance(domains, Iterable):
                domains = tuple(domains)
            listed = domains_set(domains, "internal_domains", "", ["localhost/**"])
            self._internal = HostSet(
                listed.names, listed.networks + PRIVATE_NETWORKS, "internal hosts"
            )
            self._internal_domains = tuple(str.__str__(d) for d in domains)

    @property
    def internal_domains(self) -> tuple[str, ...] | None:
        """The domains ``internal_only`` names instead of the default rules, or None."""
        return self._internal_domains

    @property
    def name(self) -> str:
        return "communication"

    @property
    def description(self) -> str:
        return "External communication restrictions"

    def parse(self, value: Any) -> ConstraintValue:
        """Parse a mode string, ``{"mode": ..., "allowed_domains": [...]}`` or ``all_of``."""
        if isinstance(value, Mapping) and all_of_items(value) is not None:
            return self.parse_all_of(value)
        return ConstraintValue(dimension=self.name, raw_value=value, parsed=self._hosts(value))

    def _hosts(self, value: object) -> HostSet:
        modes = ", ".join(_MODES)
        text, fields = exact_str(value), snapshot(value)
        if text is not None:
            mode, domains = text.strip().lower(), None
        elif fields is not None:
            unknown = sorted(str(k) for k in fields if k not in ("mode", "allowed_domains"))
            if unknown:
                raise InvalidValueError(
                    f"communication keys must be among ['allowed_domains', 'mode'], got {unknown}"
                )
            raw_mode = fields.get("mode", "none")
            given = exact_str(raw_mode)
            if given is None:
                raise InvalidTypeError(
                    f"Invalid communication mode: communication mode must be one of {modes}, "
                    f"got {check.shown(raw_mode)}"
                )
            mode, domains = given.strip().lower(), fields.get("allowed_domains")
        else:
            raise InvalidTypeError(
                "Communication config must be string or dict: communication must be a mode "
                f"string or a mapping, got {check.shown(value)}"
            )
        if mode not in _MODES:
            raise InvalidValueError(
                f"Invalid communication mode: communication mode must be one of {modes}, "
                f"got {check.shown(value)}"
            )
        if mode == "allowed_domains":
            if domains is None:
                raise InvalidValueError(
                    "communication mode 'allowed_domains' needs an allowed_domains list, "
                    f"got {check.shown(value)}"
                )
            return domains_set(domains, "allowed_domains")
        if domains is not None:
            raise InvalidValueError(
                f"allowed_domains applies only to mode 'allowed_domains', got {check.shown(value)}"
            )
        return NO_HOSTS if mode == "none" else self._internal

    def meet_all(self, values: list[HostSet]) -> HostSet:
        """The intersection, met at once (see `HostSet.meet_all`)."""
        return HostSet.meet_all(values)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff there is no target or its host is in the set."""
        if type(context) is not dict:
            bad = not_a_mapping(context)
            if bad is not None:
                return bad
        if CONTEXT_KEY not in context:
            return _NO_TARGET
        given = context[CONTEXT_KEY]
        # An exact copy: a str subclass that lies about equality would hit another
        # target's cached verdict. (The plain case inline: this is the hot path.)
        target = given if type(given) is str else exact_str(given)
        if target is None:
            return unchecked_result(
                False, f"{CONTEXT_KEY} must be a URL or host string, got {check.shown(given)}"
            )
        hosts: HostSet = constraint.parsed
        key = (hosts, target)
        known = self._recent.get(key)
        if known is not MISSING:
            return known  # type: ignore[return-value]
        return self._recent.put(key, _verdict(hosts, target))


def _verdict(hosts: HostSet, target: str) -> ConstraintCheckResult:
    host = parse_target(target)
    if isinstance(host, NoHost):
        return unchecked_result(False, f"{CONTEXT_KEY} {check.shown(target)} {host.reason}")
    shown = ".".join(reversed(host.split("/"))) if isinstance(host, str) else str(host)
    if hosts.allows(host):
        return unchecked_result(True, f"host '{shown}' is allowed ({hosts.label})")
    return unchecked_result(False, f"target '{shown}' not allowed: not in {hosts.label}")


_NO_TARGET = unchecked_result(True, "no communication target")
