"""Record the host that real clients read from each target of ``ssrf_corpus.py``.

Run from the repository root, in a virtual environment that has urllib3 and httpx (they
are not dependencies of the project), on a machine with node and libcurl::

    python -m venv /tmp/clients && /tmp/clients/bin/pip install urllib3 httpx
    /tmp/clients/bin/python tests/record_ssrf_clients.py

It rewrites ``tests/ssrf_clients.json``: for each target, the host each client reads, or
null where the client refuses the target or finds no host in it. The clients:

- ``whatwg``: node's ``new URL(target).hostname``, the WHATWG URL standard as in browsers;
- ``urllib.parse``: ``urlsplit(target).hostname``;
- ``urllib3``: ``urllib3.util.parse_url(target).host`` (what requests connects to);
- ``httpx``: ``httpx.URL(target).raw_host``;
- ``curl``: libcurl's URL API (``curl_url_set`` with the curl tool's flags,
  ``CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME``, then the host part).

A target that does not start with ``scheme://`` is a bare host to the communication
dimension, and a client may be given it either as it is or with ``http://`` in front: both
readings are recorded, the second under the client's name followed by ``+http://``.

``--fuzz SEED`` records nothing: it builds about 25,000 random targets from URL pieces,
reads each accepted one with every client, and prints any client that reads another host
(this needs ``attrs`` in the environment too, to import ``trust``).
"""

from __future__ import annotations

import ctypes
import json
import platform
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ssrf_corpus import CORPUS, same_host, shown

OUT = Path(__file__).with_name("ssrf_clients.json")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_WHATWG = """
let data = '';
process.stdin.on('data', c => data += c);
process.stdin.on('end', () => {
  const hosts = JSON.parse(data).map(s => {
    try { return new URL(s).hostname || null; } catch (e) { return null; }
  });
  process.stdout.write(JSON.stringify(hosts));
});
"""
_CURLU_HOST = 5
_CURLU_URL = 0
_CURLU_FLAGS = (1 << 9) | (1 << 3)  # CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME


def _libcurl() -> Callable[[str], str | None]:
    curl = ctypes.CDLL("libcurl.so.4")
    curl.curl_url.restype = ctypes.c_void_p
    curl.curl_url_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    curl.curl_url_get.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_uint,
    ]
    curl.curl_url_cleanup.argtypes = [ctypes.c_void_p]
    curl.curl_version.restype = ctypes.c_char_p

    def host(target: str) -> str | None:
        handle = curl.curl_url()
        try:
            if curl.curl_url_set(handle, _CURLU_URL, target.encode(), _CURLU_FLAGS):
                return None
            out = ctypes.c_char_p()
            if curl.curl_url_get(handle, _CURLU_HOST, ctypes.byref(out), 0):
                return None
            return (out.value or b"").decode() or None
        finally:
            curl.curl_url_cleanup(handle)

    host.version = curl.curl_version().decode()  # type: ignore[attr-defined]
    return host


def _urlsplit(target: str) -> str | None:
    try:
        return urllib.parse.urlsplit(target).hostname or None
    except ValueError:
        return None


def _urllib3(target: str) -> str | None:
    import urllib3.util

    try:
        return urllib3.util.parse_url(target).host or None
    except Exception:  # urllib3 raises its own LocationParseError and others
        return None


def _httpx(target: str) -> str | None:
    import httpx

    try:
        return httpx.URL(target).raw_host.decode() or None
    except Exception:  # httpx raises InvalidURL and others
        return None


def _whatwg(targets: list[str]) -> list[str | None]:
    done = subprocess.run(
        ["node", "-e", _WHATWG], input=json.dumps(targets), capture_output=True, text=True
    )
    done.check_returncode()
    return list(json.loads(done.stdout))


_PIECES = (
    *("http://", "https://", "ws://", "foo://", "HTTP://", "//", "/", "\\", "http:", "http:/"),
    *("@", ":", "#", "?", ";", ".", "..", "&", "$", "!", "=", "*", "~", ",", "%", "\t", "-"),
    *("_", "%2e", "%40", "[", "]", "[::1]", "]:80", "::1", "::ffff:", "a@b", "/x", "?q=1"),
    *("127.0.0.1", "0.0.0.0", "0x7f", "1", "0", "00", "80", "8080", "a", "a.com", "A.COM"),
    *("api.openai.com", "localhost", "xn--bcher-kva", "XN--BCHER-KVA", "xn--exmple-4nf"),
    *("\u00e4", "\u00df", "\u3002", "\uff0e"),
)


def _disagreements(seed: int) -> int:
    """How often a client reads another host than an accepted random target's."""
    import random

    from trust.constraints.builtin._target import NoHost, parse_target

    rng = random.Random(seed)
    made = {"".join(rng.choices(_PIECES, k=rng.randint(1, 7))) for _ in range(25_000)}
    accepted = {t: shown(h) for t in made if not isinstance(h := parse_target(t), NoHost)}
    texts = [*accepted, *("http://" + t for t in accepted if not _SCHEME.match(t))]
    browsers = dict(zip(texts, _whatwg(texts), strict=True))
    curl = _libcurl()
    wrong = 0
    for text in texts:
        target = text if text in accepted else text.removeprefix("http://")
        clients = {
            "whatwg": browsers[text],
            "urllib.parse": _urlsplit(text),
            "urllib3": _urllib3(text),
            "httpx": _httpx(text),
            "curl": curl(text),
        }
        for client, host in clients.items():
            if host is not None and same_host(host) != accepted[target]:
                wrong += 1
                print(f"{client} reads {host!r} from {text!r}; parse_target: {accepted[target]!r}")
    print(f"seed {seed}: {len(made)} targets, {len(accepted)} accepted, {wrong} disagreements")
    return wrong


def main() -> None:
    import httpx
    import urllib3

    if sys.argv[1:2] == ["--fuzz"]:
        sys.exit(1 if _disagreements(int(sys.argv[2])) else 0)
    curl = _libcurl()
    targets = [target for target, _ in CORPUS]
    readings: dict[str, dict[str, str | None]] = {t: {} for t in targets}
    for suffix, texts in (
        ("", targets),
        ("+http://", ["" if _SCHEME.match(t) else "http://" + t for t in targets]),
    ):
        whatwg = _whatwg(texts)
        for target, text, browser in zip(targets, texts, whatwg, strict=True):
            if not text:
                continue
            readings[target].update(
                {
                    f"whatwg{suffix}": browser,
                    f"urllib.parse{suffix}": _urlsplit(text),
                    f"urllib3{suffix}": _urllib3(text),
                    f"httpx{suffix}": _httpx(text),
                    f"curl{suffix}": curl(text),
                }
            )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    recorded = {
        "clients": {
            "whatwg": f"node {node}",
            "urllib.parse": f"Python {platform.python_version()}",
            "urllib3": urllib3.__version__,
            "httpx": httpx.__version__,
            "curl": curl.version,  # type: ignore[attr-defined]
        },
        "readings": readings,
    }
    OUT.write_text(json.dumps(recorded, indent=1, ensure_ascii=True) + "\n")
    print(f"recorded {len(targets)} targets into {OUT}")


if __name__ == "__main__":
    main()
