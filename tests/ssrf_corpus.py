"""The SSRF parser-confusion corpus: targets on which URL parsers are known to disagree.

After Orange Tsai's "A New Era of SSRF" (Black Hat USA 2017) and the WHATWG URL standard's
own traps: ``@`` in userinfo, ``#``, ``?`` and ``\\`` before the host ends, control
characters and spaces, percent-encoded, fullwidth and other look-alike hosts, decimal,
octal and hex IPv4 forms, IPv4 addresses inside IPv6 ones, zone ids, trailing dots,
scheme-less and scheme-relative forms, and invalid IDNA labels; and beside them the plain
forms that must stay accepted.

Each row is a target and what `parse_target` must make of it: the host (a hostname or the
text of an IP address) or `Refused` with a fragment of the reason. The hosts that real
clients read from each target are recorded in ``ssrf_clients.json`` by
``record_ssrf_clients.py``; ``test_constraints_ssrf.py`` holds the two together.

Plain data, importable without the package, so that the recorder can run in any virtual
environment that has the clients installed.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple


class Refused(NamedTuple):
    """`parse_target` refuses the target, with a reason that holds ``because``."""

    because: str


def shown(host: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """`parse_target`'s host as text: dotted labels, or the address."""
    return ".".join(reversed(host.split("/"))) if isinstance(host, str) else str(host)


def same_host(client: str) -> str:
    """A client's host in the form `shown` gives: lower case, no brackets or trailing dot."""
    host = client.lower().removeprefix("[").removesuffix("]").removesuffix(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


CORPUS: tuple[tuple[str, str | Refused], ...] = (
    # the two exploits of issue 12
    ("http://127.0.0.1:8080\\@api.openai.com/v1/chat", Refused("backslash")),
    ("http://exfil.example\\@localhost/", Refused("backslash")),
    # backslashes
    ("http://api.openai.com\\@127.0.0.1/", Refused("backslash")),
    ("http://127.0.0.1\\.api.openai.com/", Refused("backslash")),
    ("http:\\\\127.0.0.1\\", Refused("backslash")),
    ("http:/\\127.0.0.1/", Refused("backslash")),
    ("https://api.openai.com/\\..\\x", Refused("backslash")),
    ("\\\\127.0.0.1\\share", Refused("backslash")),
    # userinfo
    ("http://api.openai.com@127.0.0.1/", Refused("'@' before the path")),
    ("http://127.0.0.1@api.openai.com/", Refused("'@' before the path")),
    ("http://foo@127.0.0.1:80@api.openai.com/", Refused("'@' before the path")),
    ("http://foo@127.0.0.1 @api.openai.com/", Refused("spaces or control")),
    ("http://1.1.1.1 &@2.2.2.2# @3.3.3.3/", Refused("spaces or control")),
    ("http://user:pw@api.openai.com/", Refused("'@' before the path")),
    ("http://:@api.openai.com/", Refused("'@' before the path")),
    ("http://@api.openai.com/", Refused("'@' before the path")),
    ("http://api.openai.com:@127.0.0.1/", Refused("'@' before the path")),
    ("http://api.openai.com%40127.0.0.1/", Refused("in its host")),
    ("http://a%5c@127.0.0.1/", Refused("'@' before the path")),
    ("bot@api.openai.com", Refused("'@' before the path")),
    ("127.0.0.1:80@api.openai.com", Refused("'@' before the path")),
    # '#', '?', ';' and others before the host ends
    ("http://127.0.0.1#@api.openai.com/", Refused("'@' before the path")),
    ("http://127.0.0.1?@api.openai.com/", Refused("'@' before the path")),
    ("http://127.0.0.1;@api.openai.com/", Refused("'@' before the path")),
    ("http://api.openai.com#.127.0.0.1/", "api.openai.com"),
    ("http://api.openai.com?.evil.example/", "api.openai.com"),
    ("http://127.0.0.1:11211:80/", Refused("more than one ':'")),
    ("http://api.openai.com$127.0.0.1/", Refused("in its host")),
    ("http://api.openai.com&127.0.0.1/", Refused("in its host")),
    ("https://api.openai.com/@127.0.0.1", "api.openai.com"),
    ("https://mastodon.social/@user", "mastodon.social"),
    ("https://api.openai.com/v1?email=a@b.example", "api.openai.com"),
    ("https://api.openai.com?email=a@b.example", Refused("'@' before the path")),
    # control characters and whitespace
    ("http://127.0.0.1\t.api.openai.com/", Refused("spaces or control")),
    ("http://api.openai.com\n@127.0.0.1/", Refused("spaces or control")),
    ("http://api.openai.com\r\n.evil.example/", Refused("spaces or control")),
    ("http://127.0.0.1:25/%0D%0AHELO orange.tw", Refused("spaces or control")),
    ("http://api.openai.com\x00.evil.example/", Refused("spaces or control")),
    (" http://127.0.0.1/", Refused("spaces or control")),
    ("http://127.0.0.1/ ", Refused("spaces or control")),
    ("http://api.openai.com\xa0/", Refused("spaces or control")),
    ("http://api.openai.com\u200b.evil.example/", Refused("spaces or control")),
    ("http://127.0.0.1\u3000/", Refused("spaces or control")),
    # percent-encoding in the host
    ("http://127%2E0%2E0%2E1/", Refused("in its host")),
    ("http://%6c%6f%63%61%6c%68%6f%73%74/", Refused("in its host")),
    ("http://api.openai.com%2F@127.0.0.1/", Refused("'@' before the path")),
    ("http://api.openai.com%00.evil.example/", Refused("in its host")),
    ("http://[::1%25eth0]/", Refused("in its host")),
    ("http://[fe80::1%25en0]/", Refused("in its host")),
    # numeric and shorthand IPv4
    ("http://2130706433/", Refused("numeric host")),
    ("http://0x7f000001/", Refused("numeric host")),
    ("http://017700000001/", Refused("numeric host")),
    ("http://0177.0.0.1/", Refused("numeric host")),
    ("http://0x7f.0.0.1/", Refused("numeric host")),
    ("http://0x7f.1/", Refused("numeric host")),
    ("http://127.1/", Refused("numeric host")),
    ("http://127.0.1/", Refused("numeric host")),
    ("http://127.000.000.001/", Refused("numeric host")),
    ("http://127.0.0.0x1/", Refused("numeric host")),
    ("http://0/", Refused("numeric host")),
    ("http://0x/", Refused("numeric host")),
    ("http://127.0.0.1./", Refused("numeric host")),
    ("http://256.0.0.1/", Refused("numeric host")),
    ("http://1.2.3.4.5/", Refused("numeric host")),
    ("http://0.0.0.0/", "0.0.0.0"),
    ("http://127.0.0.1/", "127.0.0.1"),
    ("http://10.0.0.1:8080/", "10.0.0.1"),
    ("http://1.2.3.a/", "1.2.3.a"),
    ("http://0x7f.api.openai.com/", "0x7f.api.openai.com"),
    ("http://127.0.0.1.nip.io/", "127.0.0.1.nip.io"),
    # IPv6
    ("http://[::1]/", "::1"),
    ("http://[::1]:8080/", "::1"),
    ("http://[0:0:0:0:0:0:0:1]/", "::1"),
    ("http://[fd00::1]/", "fd00::1"),
    ("http://[::ffff:127.0.0.1]/", Refused("embeds the IPv4")),
    ("http://[::ffff:7f00:1]/", Refused("embeds the IPv4")),
    ("http://[0:0:0:0:0:ffff:127.0.0.1]/", Refused("embeds the IPv4")),
    ("http://[::127.0.0.1]/", Refused("embeds the IPv4")),
    ("http://[::ffff:0:127.0.0.1]/", Refused("embeds the IPv4")),
    ("http://[64:ff9b::127.0.0.1]/", Refused("embeds the IPv4")),
    ("http://[::]/", "::"),
    ("http://[::1]x/", Refused("invalid bracketed")),
    ("http://[::1]]/", Refused("invalid bracketed")),
    ("http://[v1.fe]/", Refused("invalid bracketed")),
    ("http://[::1/", Refused("invalid bracketed")),
    ("http://::1/", Refused("more than one ':'")),
    ("::1", Refused("more than one ':'")),
    ("fd00::1", Refused("more than one ':'")),
    ("fd00::1:8080", Refused("more than one ':'")),
    ("[fd00::1]:8080", "fd00::1"),
    ("[::1]", "::1"),
    ("::ffff:127.0.0.1", Refused("more than one ':'")),
    # trailing and empty labels
    ("http://localhost./", "localhost"),
    ("http://api.openai.com./", "api.openai.com"),
    ("http://api.openai.com../", Refused("no valid hostname")),
    ("http://.api.openai.com/", Refused("no valid hostname")),
    ("http://api..openai.com/", Refused("no valid hostname")),
    # non-ASCII and IDN
    ("http://ex\u0430mple.com/", Refused("non-ASCII")),
    ("http://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com/", Refused("non-ASCII")),
    ("http://example\uff0ecom/", Refused("non-ASCII")),
    ("http://example\u3002com/", Refused("non-ASCII")),
    ("http://\u24d4\u24e7\u24d0\u24dc\u24df\u24db\u24d4.com/", Refused("non-ASCII")),
    ("http://\u2460\u2461\u2466.0.0.1/", Refused("non-ASCII")),
    ("http://127\uff0e0\uff0e0\uff0e1/", Refused("non-ASCII")),
    ("http://evil.c\u2100.com/", Refused("non-ASCII")),
    ("http://b\xfccher.de/", Refused("non-ASCII")),
    ("http://xn--bcher-kva.de/", "xn--bcher-kva.de"),
    ("http://xn--exmple-cua.com/", "xn--exmple-cua.com"),
    ("http://xn--exmple-4nf.com/", Refused("mixes scripts")),
    ("http://xn--80ak6aa92e.com/", "xn--80ak6aa92e.com"),
    ("http://xn--.com/", Refused("no valid hostname")),
    ("http://xn--a.com/", Refused("invalid xn-- label")),
    ("http://xn--abc-.com/", Refused("no valid hostname")),
    ("http://xn--strae-oqa.de/", Refused("invalid xn-- label")),
    ("http://XN--BCHER-KVA.de/", "xn--bcher-kva.de"),
    ("http://xn--zckzah.jp/", "xn--zckzah.jp"),
    ("https://de.wikipedia.org/wiki/Stra\xdfe", "de.wikipedia.org"),
    # hostnames
    ("http://a_b.example.com/", "a_b.example.com"),
    ("http://-a.example.com/", Refused("no valid hostname")),
    ("http://a-.example.com/", Refused("no valid hostname")),
    (f"http://{'x' * 64}.com/", Refused("no valid hostname")),
    ("HTTPS://API.OPENAI.COM/", "api.openai.com"),
    ("http://localhost/", "localhost"),
    ("http://api.openai.com.evil.example/", "api.openai.com.evil.example"),
    ("http://evil.example/api.openai.com", "evil.example"),
    # schemes and missing schemes
    ("https://api.openai.com:443/v1/chat", "api.openai.com"),
    ("wss://api.openai.com/stream", "api.openai.com"),
    ("web+app://api.openai.com/", "api.openai.com"),
    ("a.com.http://127.0.0.1/", Refused("invalid port")),
    ("evil.example.https://api.openai.com/", Refused("invalid port")),
    ("ftp://files.example/", "files.example"),
    ("gopher://127.0.0.1:6379/_INFO", "127.0.0.1"),
    ("dict://127.0.0.1:11211/stat", "127.0.0.1"),
    ("file://localhost/etc/passwd", Refused("scheme 'file'")),
    ("file:///etc/passwd", Refused("scheme 'file'")),
    ("jar:http://127.0.0.1!/", Refused("more than one ':'")),
    ("javascript:alert(1)", Refused("in its host")),
    ("http:127.0.0.1", Refused("reads as a URL of scheme")),
    ("http:/127.0.0.1", Refused("reads as a URL of scheme")),
    ("https:///127.0.0.1", Refused("names no host")),
    ("//127.0.0.1/", Refused("starts with '/'")),
    ("/\\127.0.0.1/", Refused("backslash")),
    ("http:80", Refused("reads as a URL of scheme")),
    ("https:443", Refused("reads as a URL of scheme")),
    ("http:2130706433", Refused("reads as a URL of scheme")),
    ("localhost:8080", "localhost"),
    ("api.openai.com", "api.openai.com"),
    ("api.openai.com:443", "api.openai.com"),
    ("api.openai.com/v1/chat", "api.openai.com"),
    ("http://api.openai.com:/", Refused("invalid port")),
    ("http://api.openai.com:65536/", Refused("invalid port")),
    ("http://api.openai.com:0080/", "api.openai.com"),
    ("http://api.openai.com:-1/", Refused("invalid port")),
    ("http://api.openai.com:80:80/", Refused("more than one ':'")),
    ("http://api.openai.com:\uff18\uff10/", Refused("non-ASCII")),
)
