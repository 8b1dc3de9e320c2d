"""Where a ``communication_target`` connects: one host every client agrees on, or a refusal.

HTTP clients do not agree on where a URL's host is. Browsers follow the WHATWG URL
standard: they end the host at ``\\``, drop tabs and newlines, percent-decode the host, map
fullwidth and other look-alike characters to ASCII and read ``0x7f.1`` as 127.0.0.1.
urllib3 (so requests) also ends the host at ``\\``; ``urllib.parse``, httpx and curl read on
to the last ``@``. ``http://127.0.0.1:8080\\@api.openai.com/`` is api.openai.com to some
and 127.0.0.1 to others. A check that reads one host while the client connects to another
is an SSRF hole, so a target is read with a grammar narrow enough that all of them read the
same host, and anything outside it is refused with a reason that names the ambiguity:

- ``scheme://host[:port]`` followed by nothing or by ``/``, ``?`` or ``#`` and anything
  printable; or a bare ``host[:port]`` followed the same way (read as if after ``//``).
  The scheme is letters, digits, ``+`` and ``-`` (urllib3 reads a scheme with a ``.`` as
  part of the host), and not ``file`` (a local path, not a host).
- host: a hostname, a dotted-quad IPv4 address, or ``[IPv6]`` (brackets even in a bare
  target: ``http://`` + ``fd00::1`` is host ``fd00`` to urllib.parse).
- Refused anywhere in the target: control characters, spaces, backslashes. Refused before
  the first ``/`` after the host: ``@`` (userinfo; clients disagree on where it ends, and
  a credential does not belong in an audited target). Refused in the host: any character
  but ASCII letters, digits, ``.``, ``-``, ``_`` (so no percent-encoding, no zone id, no
  non-ASCII look-alike). Refused: a target starting with ``/`` (scheme-relative).
- A hostname has labels of letters, digits, ``-`` and ``_`` that neither start nor end with
  ``-`` (at most 63 characters; 253 in all; one trailing dot is dropped). An ``xn--`` label
  must be canonical punycode of a valid IDNA label (the stdlib's IDNA 2003 codec) whose
  letters are of one script (Latin may join Han, Kana or Hangul). A hostname whose last
  label is numeric (``127.1``, ``0x7f.1``, ``2130706433``) must be a dotted-quad IPv4
  address without leading zeros.
- An IPv6 address that embeds an IPv4 one (``::ffff:a.b.c.d``, ``::a.b.c.d`` but for
  ``::0.b.c.d`` such as ``::1``, ``::ffff:0:a.b.c.d``, ``64:ff9b::a.b.c.d``) is refused:
  the network stack may connect to the IPv4 address, so write that.
- A bare ``http:80`` is a URL to a browser (host 0.0.0.80), so a bare host named like a
  special scheme (``http``, ``https``, ``ws``, ``wss``, ``ftp``, ``file``) with a port is
  refused; a port must be 1 to 5 digits, at most 65535.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from encodings import idna

import attrs

from trust._validators import shown

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_TARGET = 2048
# No "." in a scheme, unlike RFC 3986: urllib3 reads "a.b://h" as host "a.b".
_SPLIT = re.compile(r"(?:([A-Za-z][A-Za-z0-9+-]*)://)?([^/?#]*)(.*)", re.DOTALL)
_HOST_CHARS = re.compile(r"[A-Za-z0-9._:\[\]-]*")
_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::(.*))?")
_LABEL = re.compile(r"(?=.{1,63}$)[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
# WHATWG's "ends in a number": such a host is parsed as IPv4, in decimal, octal or hex parts.
_NUMERIC = re.compile(r"[0-9]+|0x[0-9a-f]*")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")
_PORT = re.compile(r"[0-9]{1,5}")
# The WHATWG special schemes: a browser reads "http:80" as a URL whose host is 0.0.0.80.
_SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
# IPv6 addresses that a dual-stack host or a translator sends to the IPv4 address in their
# last 32 bits: IPv4-mapped, SIIT-translated and NAT64 ones, ...
_EMBEDDING_V4 = tuple(
    ipaddress.IPv6Network(n) for n in ("::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)
# ... and the deprecated IPv4-compatible ::a.b.c.d, except those embedding 0.0.0.0/8 (such
# as :: and ::1), which name no IPv4 host.
_COMPATIBLE = ipaddress.IPv6Network("::/96")
# Scripts that UTS 39 lets share a label ("highly restrictive"): Latin with Japanese,
# Chinese or Korean letters.
_SCRIPT_SETS = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)


@attrs.frozen
class NoHost:
    """Why a target has no host that every client would agree on."""

    reason: str


@functools.lru_cache(maxsize=4096)
def parse_target(target: str) -> str | Address | NoHost:
    """The host of ``target``: reversed labels (``com/openai/api``), an address, or `NoHost`.

    ``target`` must be an exact `str` (the caller copies it with `trust._exact.exact_str`):
    the cache would otherwise let a subclass that lies about equality reuse another
    target's host.
    """
    if not target:
        return NoHost("is empty")
    if len(target) > MAX_TARGET:
        return NoHost(f"is too long (more than {MAX_TARGET} characters)")
    if not target.isprintable() or " " in target:
        return NoHost(
            "holds spaces or control characters (browsers drop tabs and newlines inside a "
            "URL, other clients stop or fail there)"
        )
    if "\\" in target:
        return NoHost(
            "holds a backslash (browsers and urllib3 end the host at '\\', urllib.parse, "
            "httpx and curl read on)"
        )
    split = _SPLIT.fullmatch(target)
    # _SPLIT matches every string: each group may be empty.
    scheme, authority, rest = split.groups()  # type: ignore[union-attr]
    if scheme is None and target.startswith("/"):
        return NoHost("starts with '/': give a scheme ('https://host/') or a bare host")
    if scheme is not None and scheme.lower() == "file":
        return NoHost("has the scheme 'file', which names a local path, not a host")
    if "@" in authority or "@" in rest.partition("/")[0]:
        return NoHost(
            "has '@' before the path: clients disagree on where userinfo ends, so it is "
            "refused (send credentials out of band; put '/' before a '?' or '#' holding '@')"
        )
    return _authority(authority)


def _authority(authority: str) -> str | Address | NoHost:
    if not _HOST_CHARS.fullmatch(authority):
        odd = next(c for c in authority if not _HOST_CHARS.fullmatch(c))
        if not odd.isascii():
            return NoHost(
                f"has a non-ASCII character ({odd!r}) in its host: browsers map look-alikes "
                "to ASCII hosts, other clients do not; use the xn-- form"
            )
        return NoHost(
            f"has {odd!r} in its host: only ASCII letters, digits, '.', '-', '_', a ':port' "
            "and '[IPv6]' read the same to every client (no percent-encoding, no zone id)"
        )
    if authority.startswith("["):
        return _bracketed(authority)
    host, colon, port = authority.partition(":")
    if ":" in port:
        # "fd00::1:8080" is an address to some readers and "fd00::1" port 8080 to others.
        return NoHost("has more than one ':' in its host (an IPv6 address needs brackets)")
    if colon and host.lower() in _SPECIAL_SCHEMES:
        return NoHost(
            f"reads as a URL of scheme '{host.lower()}:' to browsers, which take what follows "
            f"as the host; write '{host.lower()}://host'"
        )
    if colon and not _valid_port(port):
        return NoHost("has an empty or invalid port (1 to 5 digits, at most 65535)")
    return read_host(host.lower())


def _valid_port(port: str) -> bool:
    return _PORT.fullmatch(port) is not None and int(port) <= 65535


def _bracketed(authority: str) -> Address | NoHost:
    match = _BRACKETED.fullmatch(authority)
    if match is None:
        return NoHost("has an invalid bracketed IPv6 host")
    text, port = match.groups()
    if port is not None and not _valid_port(port):
        return NoHost("has an empty or invalid port (1 to 5 digits, at most 65535)")
    return _ipv6(text)


def _ipv6(text: str) -> Address | NoHost:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return NoHost(f"has an invalid IPv6 address ({shown(text)})")
    if any(address in n for n in _EMBEDDING_V4) or (address in _COMPATIBLE and int(address) >> 24):
        v4 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return NoHost(
            f"has an IPv6 address that embeds the IPv4 address {v4} ({address}): the "
            "network stack may connect to that; write the IPv4 address"
        )
    return address


def read_host(host: str) -> str | Address | NoHost:
    """A lower-case host without brackets or port, as a dotted-quad IPv4 address or a hostname.

    A hostname comes back as its reversed labels (``com/openai/api``).
    """
    if not host:
        return NoHost("names no host")
    name = host[:-1] if host.endswith(".") else host
    last = name.rpartition(".")[2]
    if _NUMERIC.fullmatch(last):
        if _DOTTED_QUAD.fullmatch(host):
            return ipaddress.IPv4Address(host)
        return NoHost(
            f"has a numeric host that is not a dotted-quad IPv4 address ({shown(host)}): clients "
            "read forms like '127.1', '0x7f.1', '0177.0.0.1', '2130706433' or a trailing dot "
            "as different addresses, or refuse them"
        )
    return _hostname(name)


def _hostname(name: str) -> str | NoHost:
    """``name`` (lower-case, no trailing dot) as reversed labels if it is a valid hostname."""
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return NoHost(
            f"has no valid hostname ({shown(name)}): labels of ASCII letters, digits, '-' and "
            "'_', not starting or ending with '-', of 1 to 63 characters, 253 in all"
        )
    for label in labels:
        if label.startswith("xn--"):
            wrong = _a_label_fault(label)
            if wrong is not None:
                return NoHost(f"has an invalid xn-- label ({label!r}: {wrong})")
    return "/".join(reversed(labels))


def _a_label_fault(label: str) -> str | None:
    """Why ``label`` (``xn--...``) is not the canonical form of one internationalized label."""
    try:
        unicode = label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        return "not punycode"
    if unicode.isascii() or unicode.encode("punycode").decode("ascii") != label[4:]:
        return "not the canonical punycode of a non-ASCII label"
    if not all(unicodedata.category(c)[0] in "LMN" or c == "-" for c in unicode):
        return f"decodes to {unicode!r}, which holds a symbol, punctuation or a space"
    try:
        canonical = idna.ToASCII(unicode) == label.encode("ascii")
    except UnicodeError:
        canonical = False
    if not canonical:
        return f"decodes to {unicode!r}, which is not a valid IDNA label in its canonical form"
    scripts = {_script(c) for c in unicode if unicodedata.category(c)[0] == "L"}
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPT_SETS):
        return f"decodes to {unicode!r}, which mixes scripts: {', '.join(sorted(scripts))}"
    return None


def _script(letter: str) -> str:
    # The first word of a letter's Unicode name is its script for the scripts that matter
    # here ("LATIN SMALL LETTER A", "CYRILLIC SMALL LETTER A", "CJK UNIFIED IDEOGRAPH-4E00");
    # an unusual name ("MODIFIER LETTER ...") only counts as a script of its own.
    word = unicodedata.name(letter, "UNNAMED").split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(word, word)


# Letters that Japanese and Chinese labels use beside Kana and Han ("ー", "々").
_SCRIPT_ALIASES = {"KATAKANA-HIRAGANA": "KATAKANA", "IDEOGRAPHIC": "CJK"}
