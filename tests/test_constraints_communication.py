"""``communication``: host sets, suffix matching by whole labels, exact inclusion."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.hostile import LyingStr
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import Comparison
from trust.constraints.builtin import CommunicationDimension
from trust.constraints.builtin._target import NoHost, parse_target

DIM = CommunicationDimension()
DOMAINS = {"mode": "allowed_domains", "allowed_domains": ["api.openai.com", "anthropic.com"]}


def allows(raw: Any, target: str, dim: CommunicationDimension = DIM) -> bool:
    return dim.check(dim.parse(raw), {"communication_target": target}).satisfied


@pytest.mark.parametrize(
    ("target", "host"),
    [
        ("api.openai.com", "com/openai/api"),
        ("API.OpenAI.com.", "com/openai/api"),  # lower-cased, trailing dot stripped
        ("https://api.openai.com:443/v1/chat", "com/openai/api"),
        ("api.openai.com:443", "com/openai/api"),
        ("api.openai.com/v1/chat?q=1#top", "com/openai/api"),
        ("https://mastodon.social/@user", "social/mastodon"),  # '@' in the path is no userinfo
        ("10.0.0.1", ipaddress.ip_address("10.0.0.1")),
        ("[::1]", ipaddress.ip_address("::1")),
        ("[fd00::1]:8080", ipaddress.ip_address("fd00::1")),
        ("http://[::1]:80/", ipaddress.ip_address("::1")),
        ("xn--bcher-kva.de", "de/xn--bcher-kva"),  # bücher.de
        ("xn--zckzah.jp", "jp/xn--zckzah"),  # テスト.jp
    ],
)
def test_the_host_is_read_from_urls_and_bare_hosts(target: str, host: object) -> None:
    assert parse_target(target) == host


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        # userinfo: refused, where it used to be skipped to the host after it
        ("bot@anthropic.com", "has '@' before the path"),
        ("http://user:pw@anthropic.com/", "has '@' before the path"),
        # IPv4 inside IPv6: refused, where it used to count as the IPv4 address
        ("http://[::ffff:10.0.0.1]:80/", "embeds the IPv4 address 10.0.0.1"),
        ("[::127.0.0.1]", "embeds the IPv4 address 127.0.0.1"),
        ("[64:ff9b::10.0.0.1]", "embeds the IPv4 address 10.0.0.1"),
        # IPv6 without brackets: "http://" + "fd00::1" is host "fd00" to urllib.parse
        ("::ffff:192.168.0.1", "more than one ':'"),
        ("fd00::1", "more than one ':'"),
        ("xn--exmple-4nf.com", "mixes scripts: CYRILLIC, LATIN"),
        ("xn--strae-oqa.de", "not a valid IDNA label"),  # "straße": IDNA 2003 maps it to ss
        ("xn--a.com", "holds a symbol"),
        ("xn--k.com", "not punycode"),
        ("xn---a.com", "not the canonical punycode"),
        ("xn--1qg.com", "not a valid IDNA label"),  # "ᾁ", which IDNA maps to another label
        ("xn--a-zhc.com", "not a valid IDNA label"),  # "אa": right-to-left beside left-to-right
        ("[::1]:99999", "invalid port"),
        ("[1:2]", "invalid IPv6 address"),
        ("http:8080", "reads as a URL of scheme 'http:'"),
    ],
)
def test_targets_that_clients_could_read_differently_are_refused(target: str, reason: str) -> None:
    read = parse_target(target)
    assert isinstance(read, NoHost)
    assert reason in read.reason


@pytest.mark.parametrize(
    "target",
    ["", "http://", "bücher.de", "a..b", "2130706433", "0x7f000001", "a b.com", "x" * 3000, "-\n"],
)
def test_targets_without_a_valid_host_fail(target: str) -> None:
    result = DIM.check(DIM.parse("internal_only"), {"communication_target": target})
    assert not result.satisfied
    assert result.reason.startswith("communication_target")


@pytest.mark.parametrize("target", [None, 5, ["a.com"]])
def test_a_non_string_target_fails(target: object) -> None:
    result = DIM.check(DIM.parse(DOMAINS), {"communication_target": target})
    assert not result.satisfied
    assert result.reason.startswith("communication_target must be a URL or host string")


@pytest.mark.parametrize(
    ("target", "satisfied"),
    [
        ("api.openai.com", True),
        ("v2.api.openai.com", True),
        ("openai.com", False),
        ("evilapi.openai.com", False),
        ("api.openai.com.evil.org", False),  # never a substring
        ("anthropic.com", True),
        ("docs.anthropic.com", True),
        ("notanthropic.com", False),
    ],
)
def test_allowed_domains_match_the_domain_and_its_subdomains(target: str, satisfied: bool) -> None:
    assert allows(DOMAINS, target) is satisfied


@pytest.mark.parametrize(
    ("target", "internal"),
    [
        ("localhost", True),
        ("api.localhost", True),
        ("127.0.0.1", True),
        ("10.20.30.40", True),
        ("172.16.0.1", True),
        ("172.32.0.1", False),
        ("192.168.1.1", True),
        ("[::1]", True),
        ("[fd00::1]", True),
        ("169.254.169.254", False),  # link-local: cloud metadata is not "internal"
        ("8.8.8.8", False),
        ("api.internal.company.com", True),  # 'internal' as a whole label
        ("db.internal", True),
        ("printer.local", True),
        ("internal", True),
        ("internalapi.company.com", False),  # never a substring
        ("api.local.company.com", False),  # '.local' is a suffix rule only
        ("localhost.evil.com", False),
        ("evil.com", False),
    ],
)
def test_internal_hosts_by_default(target: str, internal: bool) -> None:
    assert allows("internal_only", target) is internal


def test_a_deployment_can_replace_the_internal_name_rules() -> None:
    corporate = CommunicationDimension(internal_domains=["corp.example", "10.99.0.0/16"])
    assert allows("internal_only", "wiki.corp.example", corporate)
    assert allows("internal_only", "localhost", corporate)
    assert allows("internal_only", "10.1.1.1", corporate)  # private ranges stay internal
    assert not allows("internal_only", "api.internal.company.com", corporate)
    assert not allows("internal_only", "printer.local", corporate)
    generated = CommunicationDimension(internal_domains=(d for d in ["corp.example"]))
    assert allows("internal_only", "a.corp.example", generated)


@pytest.mark.parametrize("raw", ["none", "NONE", " None "])
def test_none_allows_no_host_but_passes_when_nothing_is_sent(raw: str) -> None:
    assert not allows(raw, "localhost")
    result = DIM.check(DIM.parse(raw), {})
    assert result.satisfied
    assert result.reason == "no communication target"


def test_ip_entries_allow_exactly_their_addresses() -> None:
    raw = {"mode": "allowed_domains", "allowed_domains": ["10.1.0.0/16", "192.0.2.7", "::2"]}
    assert allows(raw, "10.1.200.3")
    assert not allows(raw, "10.2.0.1")
    assert allows(raw, "https://192.0.2.7:8443/")
    assert allows(raw, "[::2]")
    assert not allows(raw, "a.com")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("none", "internal_only", Comparison.TIGHTER),
        (
            {"mode": "allowed_domains", "allowed_domains": ["db.internal"]},
            "internal_only",
            Comparison.TIGHTER,
        ),
        (
            {"mode": "allowed_domains", "allowed_domains": ["x.internal.a.com"]},
            "internal_only",
            Comparison.TIGHTER,
        ),
        (
            {"mode": "allowed_domains", "allowed_domains": ["10.1.0.0/16"]},
            "internal_only",
            Comparison.TIGHTER,
        ),
        (
            {"mode": "allowed_domains", "allowed_domains": ["a.com"]},
            "internal_only",
            Comparison.INCOMPARABLE,
        ),
        (
            {"mode": "allowed_domains", "allowed_domains": ["b.a.com"]},
            {"mode": "allowed_domains", "allowed_domains": ["a.com"]},
            Comparison.TIGHTER,
        ),
        (
            {"mode": "allowed_domains", "allowed_domains": ["10.0.0.0/9", "10.128.0.0/9"]},
            {"mode": "allowed_domains", "allowed_domains": ["10.0.0.0/8"]},
            Comparison.EQUIVALENT,
        ),
        ({"mode": "allowed_domains", "allowed_domains": []}, "none", Comparison.EQUIVALENT),
    ],
)
def test_host_sets_compare_by_inclusion(a: Any, b: Any, expected: Comparison) -> None:
    assert DIM.compare(DIM.parse(a), DIM.parse(b)) is expected


def test_compose_intersects_internal_with_allowed_domains() -> None:
    composed = DIM.compose(
        [
            DIM.parse("internal_only"),
            DIM.parse({**DOMAINS, "allowed_domains": ["a.com", "10.0.0.0/8"]}),
        ]
    )
    assert composed.raw_value == {
        "all_of": ["internal_only", {**DOMAINS, "allowed_domains": ["a.com", "10.0.0.0/8"]}]
    }
    assert DIM.check(composed, {"communication_target": "x.internal.a.com"}).satisfied
    assert not DIM.check(composed, {"communication_target": "x.a.com"}).satisfied
    assert not DIM.check(composed, {"communication_target": "db.internal"}).satisfied
    assert DIM.check(composed, {"communication_target": "10.3.3.3"}).satisfied
    assert not DIM.check(composed, {"communication_target": "192.168.0.1"}).satisfied
    assert DIM.compare(DIM.parse(composed.raw_value), composed) is Comparison.EQUIVALENT


@pytest.mark.parametrize(
    ("parent", "child", "example"),
    [
        ("internal_only", DOMAINS, "'anthropic.com'"),
        ("none", "internal_only", "'local'"),
        (
            {"mode": "allowed_domains", "allowed_domains": ["10.0.0.0/9"]},
            {"mode": "allowed_domains", "allowed_domains": ["10.0.0.0/8"]},
            "'10.128.0.0'",
        ),
    ],
)
def test_a_looser_child_gets_a_host_it_allows_and_the_parent_refuses(
    parent: Any, child: Any, example: str
) -> None:
    text = DIM.loosening_example(DIM.parse(parent), DIM.parse(child))
    assert text == f"the child allows {{'communication_target': {example}}}, the parent does not"


@pytest.mark.parametrize(
    ("parent", "child"),
    [
        ("internal_only", DOMAINS),
        ("none", "internal_only"),
        ({"mode": "allowed_domains", "allowed_domains": ["a.com"]}, "internal_only"),
        (
            {"mode": "allowed_domains", "allowed_domains": ["fd00::/9"]},
            {"mode": "allowed_domains", "allowed_domains": ["fd00::/8"]},
        ),
        ("none", {"mode": "allowed_domains", "allowed_domains": ["::/0"]}),
    ],
)
def test_the_loosening_example_is_a_target_the_child_allows_and_the_parent_refuses(
    parent: Any, child: Any
) -> None:
    text = DIM.loosening_example(DIM.parse(parent), DIM.parse(child))
    assert text is not None
    target = text.split("'communication_target': ", 1)[1].split("}", 1)[0].strip("'")
    assert allows(child, target)
    assert not allows(parent, target)


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        ("allowed_domains", InvalidValueError, "needs an allowed_domains list"),
        (
            "everything",
            InvalidValueError,
            "mode must be one of none, internal_only, allowed_domains",
        ),
        ({"mode": 1}, InvalidTypeError, "mode must be one of"),
        ({"mode": "none", "allowed_domains": ["a.com"]}, InvalidValueError, "applies only to mode"),
        ({"mode": "allowed_domains", "domains": []}, InvalidValueError, "keys must be among"),
        (
            {"mode": "allowed_domains", "allowed_domains": "a.com"},
            InvalidTypeError,
            "must be a list",
        ),
        ({"mode": "allowed_domains", "allowed_domains": ["*.a.com"]}, InvalidValueError, "'*'"),
        (
            {"mode": "allowed_domains", "allowed_domains": ["https://a.com"]},
            InvalidValueError,
            "no scheme",
        ),
        (
            {"mode": "allowed_domains", "allowed_domains": [3]},
            InvalidTypeError,
            "entries must be strings",
        ),
        (
            {"mode": "allowed_domains", "allowed_domains": ["a.com", 3]},
            InvalidTypeError,
            "entries must be strings, got 3",
        ),
        (["none"], InvalidTypeError, "mode string or a mapping"),
        (
            {"mode": "allowed_domains", "allowed_domains": ["xn--exmple-4nf.com"]},
            InvalidValueError,
            "mixes scripts: CYRILLIC, LATIN",
        ),
        (
            {"mode": "allowed_domains", "allowed_domains": ["127.1"]},
            InvalidValueError,
            "numeric host",
        ),
    ],
)
def test_malformed_communication_constraints_are_refused(
    raw: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        DIM.parse(raw)


def test_malformed_internal_domains_are_refused() -> None:
    with pytest.raises(InvalidTypeError, match="internal_domains must be a list"):
        CommunicationDimension(internal_domains="corp.example")
    with pytest.raises(InvalidValueError, match="internal_domains entries must be domain names"):
        CommunicationDimension(internal_domains=["corp..example"])


@pytest.mark.parametrize(
    ("target", "valid"),
    [
        ("a-b.com", True),
        ("_dmarc.a.com", True),
        ("-a.com", False),
        ("a-.com", False),
        ("xn--.com", False),
        ("x" * 63 + ".com", True),
        ("x" * 64 + ".com", False),
    ],
)
def test_labels_follow_the_hostname_rules(target: str, valid: bool) -> None:
    assert isinstance(parse_target(target), str) is valid


def test_a_lying_str_target_is_read_for_what_it_holds() -> None:
    # LyingStr hashes and compares equal to every LyingStr: a verdict cached under one
    # must not answer for another.
    allowed = DIM.parse(DOMAINS)
    assert DIM.check(allowed, {"communication_target": LyingStr("api.openai.com")}).satisfied
    result = DIM.check(allowed, {"communication_target": LyingStr("http://169.254.169.254/")})
    assert not result.satisfied
    assert result.reason == (
        "target '169.254.169.254' not allowed: not in "
        "allowed domains ['anthropic.com', 'api.openai.com']"
    )


def test_lying_str_entries_and_modes_are_read_for_what_they_hold() -> None:
    raw = {"mode": LyingStr("allowed_domains"), "allowed_domains": [LyingStr("a.com")]}
    assert allows(raw, "x.a.com")
    assert not allows(raw, "x.b.com")
    assert allows(LyingStr("internal_only"), "localhost")
    with pytest.raises(InvalidValueError, match="entries must be domain names"):
        DIM.parse({"mode": "allowed_domains", "allowed_domains": [LyingStr("a.com/x")]})
