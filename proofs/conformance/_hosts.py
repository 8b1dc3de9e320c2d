"""The conformance universe of ``communication``: domains, subdomains, IPv4, IPv6, internal.

Values are each mode, domains and their subdomains (in any case, with a trailing dot),
hosts with ``internal`` as a label, IPv4 and IPv6 addresses and blocks (single addresses,
the private ranges, everything), ``internal_only`` (by default and with the
``internal_domains`` of a deployment), and ``all_of`` values mixing them; every pair is
composed too. Targets are hosts at and beside every domain (a subdomain, a look-alike
suffix, the domain as a label of another), addresses at the edges of every block, URLs
with ports and paths, and targets the runtime refuses.
"""

from __future__ import annotations

import functools
from typing import Any

from trust.constraints.builtin import CommunicationDimension
from trust.proofs.conformance._compare import Universe
from trust.proofs.conformance._scalars import Scope
from trust.proofs.twins import CommunicationTwin


def _domains(*entries: str) -> dict[str, Any]:
    return {"mode": "allowed_domains", "allowed_domains": list(entries)}


_VALUES: tuple[Any, ...] = (
    "none",
    "internal_only",
    _domains("openai.com"),
    _domains("api.openai.com"),
    _domains("openai.com", "evil.com"),
    _domains("OpenAI.com."),
    _domains("internal.company.com"),
    _domains("10.0.0.0/8"),
    _domains("10.1.2.3", "192.168.1.0/24"),
    _domains("::1", "[fd00::/8]"),
    _domains("api.openai.com", "fc00::/7", "127.0.0.1"),
    {"all_of": ["internal_only", _domains("internal.company.com", "10.0.0.0/16", "fd00::/16")]},
    {"all_of": [_domains("openai.com", "evil.com"), _domains("api.openai.com", "evil.com")]},
)
_DEEP_VALUES: tuple[Any, ...] = (
    " NONE ",
    {"mode": "internal_only"},
    _domains("localhost", "x.local"),
    _domains("0.0.0.0/0"),
    _domains("::/0"),
    _domains("2001:db8::/32", "2001:db8::1"),
    _domains("company.com", "10.0.0.0/24", "10.0.1.0/24"),
    {"all_of": ["internal_only", "internal_only"]},
)
_TARGETS: tuple[Any, ...] = (
    "openai.com",
    "api.openai.com",
    "https://api.openai.com:443/v1?q=1",
    "API.OpenAI.com.",
    "evilopenai.com",
    "openai.com.evil.com",
    "evil.com",
    "localhost",
    "a.localhost",
    "x.local",
    "foo.internal",
    "internal",
    "api.internal.company.com",
    "internal.company.com",
    "company.com",
    "10.0.0.1",
    "10.255.255.255",
    "11.0.0.0",
    "10.1.2.3",
    "10.1.2.4",
    "127.0.0.1",
    "172.16.0.1",
    "172.32.0.1",
    "192.168.1.255",
    "192.168.2.0",
    "169.254.169.254",
    "0.0.0.0",
    "255.255.255.255",
    "[::1]",
    "[::2]",
    "[fd00::1]",
    "[fc00::]",
    "[fe00::1]",
    "[2001:db8::1]",
    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]",
    "[::ffff:10.0.0.1]",
    "http://127.0.0.1:8080\\@api.openai.com/",
    "",
    5,
)


@functools.cache
def communication_scope(deep: bool) -> Scope:
    """Every mode, domains, blocks of both families, all_of; targets at every edge."""
    values = _VALUES + (_DEEP_VALUES if deep else ())
    contexts: list[dict[str, Any]] = [{}]
    contexts += [{"communication_target": t} for t in _TARGETS]
    return Scope(
        universe=Universe(
            dimension=CommunicationDimension(),
            values=values,
            contexts=tuple(contexts),
            twin=CommunicationTwin.for_values,
            tightening_composed=60 if deep else 20,
            ordered_pairs=deep,
        ),
        bound=(
            f"{len(values)} values (none, internal_only, domains and subdomains in any "
            "case, IPv4 and IPv6 addresses and blocks, all_of mixing them) and every "
            f"composed pair, x {len(contexts)} targets (hosts at and beside each domain, "
            "look-alike suffixes, both families at every block edge, URLs, refused targets); "
            "hosts and targets are read by the runtime's read_host and parse_target (held to "
            "HTTP clients by tests/test_constraints_ssrf.py)"
        ),
    )
