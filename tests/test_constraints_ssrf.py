"""``communication`` reads the host every client connects to, or refuses the target.

The corpus (``tests/ssrf_corpus.py``) is the classic SSRF parser-confusion set. For each
target it states what `parse_target` must make of it, and ``tests/ssrf_clients.json``
records the host that browsers (WHATWG), urllib.parse, urllib3, httpx and curl read from
it. A target is accepted only if every client that finds a host in it finds ours.
"""

from __future__ import annotations

import ipaddress
import json
import re
import string
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ssrf_corpus import CORPUS, Refused, same_host, shown
from trust.constraints.builtin import CommunicationDimension
from trust.constraints.builtin._target import NoHost, parse_target

RECORDED = json.loads(Path(__file__).with_name("ssrf_clients.json").read_text())
READINGS: dict[str, dict[str, str | None]] = RECORDED["readings"]
DIM = CommunicationDimension()
ACCEPTED = [(target, host) for target, host in CORPUS if isinstance(host, str)]
REFUSED = [(target, why) for target, why in CORPUS if isinstance(why, Refused)]


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def live_urlsplit(target: str) -> list[str | None]:
    """What this Python's urllib.parse reads, as given and (for a bare host) after http://."""
    texts = [target] if _SCHEME.match(target) else [target, "http://" + target]
    hosts: list[str | None] = []
    for text in texts:
        try:
            hosts.append(urllib.parse.urlsplit(text).hostname)
        except ValueError:
            hosts.append(None)
    return hosts


@pytest.mark.parametrize(("target", "host"), ACCEPTED)
def test_an_accepted_target_is_read_as_its_host(target: str, host: str) -> None:
    read = parse_target(target)
    assert not isinstance(read, NoHost), read
    assert shown(read) == host


@pytest.mark.parametrize(("target", "why"), REFUSED)
def test_a_confusing_target_is_refused_naming_the_ambiguity(target: str, why: Refused) -> None:
    read = parse_target(target)
    assert isinstance(read, NoHost)
    assert why.because in read.reason


@pytest.mark.parametrize(("target", "host"), ACCEPTED)
def test_every_client_that_finds_a_host_in_an_accepted_target_finds_ours(
    target: str, host: str
) -> None:
    hosts = [*READINGS[target].values(), *live_urlsplit(target)]
    assert {same_host(h) for h in hosts if h is not None} <= {host}


def test_the_recording_covers_the_corpus_and_urllib_parse_still_reads_it_so() -> None:
    assert set(READINGS) == {target for target, _ in CORPUS}
    for target, _ in ACCEPTED:
        assert READINGS[target]["urllib.parse"] == live_urlsplit(target)[0]


def test_the_corpus_holds_targets_the_clients_disagree_on_and_refuses_them_all() -> None:
    # The corpus is worth something only if it holds real disagreements.
    disputed = [
        target
        for target, readings in READINGS.items()
        if len({same_host(h) for h in readings.values() if h is not None}) > 1
    ]
    assert len(disputed) >= 30
    assert all(isinstance(parse_target(target), NoHost) for target in disputed)


def test_the_corpus_verdicts_tally() -> None:
    reasons = Counter(why.because for _, why in REFUSED)
    assert len(CORPUS) == len(ACCEPTED) + len(REFUSED)
    assert reasons["backslash"] >= 8
    assert reasons["'@' before the path"] >= 10
    assert reasons["numeric host"] >= 10


# The two exploits of issue 12, through the dimension.


def test_a_backslash_cannot_hide_localhost_behind_an_allowed_domain() -> None:
    allowed = DIM.parse({"mode": "allowed_domains", "allowed_domains": ["api.openai.com"]})
    target = "http://127.0.0.1:8080\\@api.openai.com/v1/chat"
    result = DIM.check(allowed, {"communication_target": target})
    assert not result.satisfied
    assert "holds a backslash" in result.reason


def test_a_backslash_cannot_hide_an_external_host_behind_localhost() -> None:
    internal = DIM.parse("internal_only")
    result = DIM.check(internal, {"communication_target": "http://exfil.example\\@localhost/"})
    assert not result.satisfied
    assert "holds a backslash" in result.reason


# Beyond the corpus: random URL-like strings. Whatever is accepted, urllib.parse reads
# the same host (the clients recorded above are not installed with the package).

_PIECES = st.sampled_from(
    [
        "http://",
        "https://",
        "//",
        "/",
        "\\",
        "@",
        ":",
        "#",
        "?",
        ";",
        ".",
        "%2e",
        "%40",
        "[",
        "]",
        "::1",
        "127.0.0.1",
        "0x7f",
        "1",
        "a.com",
        "api.openai.com",
        "localhost",
        "xn--bcher-kva",
        "\t",
        "\u3002",
        "80",
    ]
)


@given(st.lists(_PIECES, min_size=1, max_size=8).map("".join))
def test_an_accepted_random_target_has_the_host_urllib_parse_reads(target: str) -> None:
    read = parse_target(target)
    if isinstance(read, NoHost):
        return
    hosts = {same_host(h) for h in live_urlsplit(target) if h is not None}
    assert hosts == {shown(read)}


@given(st.text(max_size=40) | st.text(alphabet=string.printable, max_size=40))
def test_any_target_gets_a_host_or_a_reason(target: str) -> None:
    read: Any = parse_target(target)
    assert isinstance(read, NoHost | str | ipaddress.IPv4Address | ipaddress.IPv6Address)
    if isinstance(read, NoHost):
        assert read.reason
