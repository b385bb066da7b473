"""`vcaudit feed update|import|build` against a real HTTP server on 127.0.0.1.

Every fault ends in exit 4 with one line, and the previously installed feed stays intact
and in use.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import TEST_FEED_DIR
from tests.output.json_report import installation_rows
from vcaudit.cli import main
from vcaudit.feed import store
from vcaudit.feed.load import bundle_bytes

# Installed feeds are used only when newer than the bundled one, and refused when dated in
# the future: the dates below sit just after the bundled feed's.
_BUNDLED_AT = store.bundled_generated_at()
assert _BUNDLED_AT is not None
PREVIOUS = _BUNDLED_AT + dt.timedelta(minutes=2)
NEWER = _BUNDLED_AT + dt.timedelta(minutes=3)
OLDER = _BUNDLED_AT + dt.timedelta(minutes=1)
BUILT = _BUNDLED_AT + dt.timedelta(minutes=4)

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Server:
    url: str
    routes: dict[str, list[Handler]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def on(self, path: str, *handlers: Handler) -> None:
        """Answer `path` with these handlers in turn; the last one repeats."""
        self.routes[path] = list(handlers)


def body(data: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return handle


def status(code: int, headers: dict[str, str] | None = None) -> Handler:
    return body(b"", code, headers)


@contextlib.contextmanager
def serving() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 answering the routes set with `Server.on`."""
    state = Server(url="")

    class RequestHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            handlers = state.routes.get(self.path)
            if not handlers:
                status(404)(self)
                return
            handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
            handler(self)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    class Quiet(http.server.ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            """A client that gave up (timeout, truncation tests) is expected here."""

    httpd = Quiet(("127.0.0.1", 0), RequestHandler)
    httpd.daemon_threads = True
    # A short poll interval: shutdown() waits up to one interval (0.5 s by default, per test).
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    with serving() as state:
        yield state


def bundle(when: dt.datetime) -> bytes:
    return bundle_bytes(TEST_FEED_DIR, when)


def checksum(data: bytes) -> bytes:
    return f"{store.sha256_hex(data)}  feed.json\n".encode()


def serve(server: Server, data: bytes, **extra: Handler) -> str:
    server.on("/feed.json", extra.pop("feed", body(data, headers={"ETag": '"v1"'})))
    server.on("/feed.json.sha256", extra.pop("sum", body(checksum(data))))
    for path, handler in extra.items():
        server.on(f"/{path}", handler)
    return f"{server.url}/feed.json"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A cache folder with the PREVIOUS feed installed."""
    directory = tmp_path / "cache"
    data = bundle(PREVIOUS)
    source = tmp_path / "previous.json"
    source.write_bytes(data)
    Path(str(source) + ".sha256").write_bytes(checksum(data))
    assert main(["feed", "import", str(source), "--cache-dir", str(directory)]) == 0
    return directory


def in_use(cache: Path) -> dt.datetime | None:
    return store.feed_in_use(cache).feed.info.generated_at


def recorded(cache: Path) -> tuple[str, str, bool]:
    """What state.json says was installed: its sha256, where it came from, and if signed."""
    state = store.State.read(cache)
    assert state is not None
    return state.sha256, state.source, state.signed


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def update(
    capsys: pytest.CaptureFixture[str], url: str, cache: Path, *extra: str
) -> tuple[int, str, str]:
    return run(
        capsys,
        "feed",
        "update",
        "--url",
        url,
        "--cache-dir",
        str(cache),
        "--timeout",
        "2",
        "--backoff",
        "0.01",
        *extra,
    )


def assert_failed_and_intact(code: int, err: str, cache: Path, expected: str) -> None:
    assert code == 4, err
    assert expected in err
    assert len(err.strip().splitlines()) <= 2  # the error, and perhaps a tip
    assert "Traceback" not in err
    assert in_use(cache) == PREVIOUS


def test_success_then_not_modified(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    data = bundle(NEWER)
    url = serve(server, data)
    code, out, err = update(capsys, url, cache)
    assert code == 0, err
    assert f"installed the feed generated {NEWER.isoformat()}" in out
    assert in_use(cache) == NEWER
    assert recorded(cache) == (store.sha256_hex(data), url, False)
    # The server answers 304 to the stored ETag: nothing is downloaded again.
    server.on(
        "/feed.json", lambda h: status(304 if h.headers.get("If-None-Match") == '"v1"' else 500)(h)
    )
    code, out, err = update(capsys, url, cache)
    assert code == 0, err
    assert out == "the installed feed is up to date\n"
    assert server.hits["/feed.json.sha256"] == 1
    # And a scan uses the installed feed.
    code, out, _ = run(capsys, "feed", "info", "--cache-dir", str(cache))
    assert "source:       installed" in out
    assert "verified:     checksum on install" in out


def test_one_server_error_then_success(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    data = bundle(NEWER)
    url = serve(server, data, feed=status(503))
    server.on("/feed.json", status(500), body(data))
    code, _, err = update(capsys, url, cache)
    assert code == 0, err
    assert server.hits["/feed.json"] == 2
    assert in_use(cache) == NEWER


def test_server_errors_until_retries_run_out(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    url = serve(server, b"", feed=status(502))
    code, _, err = update(capsys, url, cache, "--retries", "2")
    assert_failed_and_intact(code, err, cache, "server error 502 (after 3 attempts)")
    assert server.hits["/feed.json"] == 3


@pytest.mark.slow
def test_timeout(capsys: pytest.CaptureFixture[str], server: Server, cache: Path) -> None:
    data = bundle(NEWER)

    def slow(h: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        body(data)(h)

    url = serve(server, data, feed=slow)
    code, _, err = update(capsys, url, cache, "--retries", "0", "--timeout", "0.3")
    assert_failed_and_intact(code, err, cache, "download timed out")


def test_truncated_body(capsys: pytest.CaptureFixture[str], server: Server, cache: Path) -> None:
    data = bundle(NEWER)

    def truncated(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data[:100])
        h.close_connection = True

    url = serve(server, data, feed=truncated)
    code, _, err = update(capsys, url, cache, "--retries", "1")
    assert_failed_and_intact(code, err, cache, "download failed")


def test_wrong_checksum(capsys: pytest.CaptureFixture[str], server: Server, cache: Path) -> None:
    data = bundle(NEWER)
    url = serve(server, data, sum=body(checksum(b"something else")))
    code, _, err = update(capsys, url, cache)
    assert_failed_and_intact(code, err, cache, "checksum mismatch")


def test_missing_checksum(capsys: pytest.CaptureFixture[str], server: Server, cache: Path) -> None:
    data = bundle(NEWER)
    url = serve(server, data, sum=status(404))
    code, _, err = update(capsys, url, cache)
    assert_failed_and_intact(code, err, cache, "feed.json.sha256: server answered 404")


def keys(tmp_path: Path) -> tuple[Ed25519PrivateKey, Path]:
    key = Ed25519PrivateKey.generate()
    public = tmp_path / "pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key, public


@pytest.mark.slow
def test_signatures(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path, tmp_path: Path
) -> None:
    import base64

    data = bundle(NEWER)
    trusted, public = keys(tmp_path)
    (tmp_path / "other").mkdir()
    other, _ = keys(tmp_path / "other")
    # Unsigned while a key is configured: refused.
    url = serve(server, data)
    code, _, err = update(capsys, url, cache, "--public-key", str(public))
    assert_failed_and_intact(code, err, cache, "server answered 404")
    # Signed by another key: refused.
    serve(server, data, **{"feed.json.sig": body(base64.b64encode(other.sign(data)))})
    code, _, err = update(capsys, url, cache, "--public-key", str(public))
    assert_failed_and_intact(code, err, cache, "bad signature")
    # Signed by the trusted key: installed, and recorded as signed.
    serve(server, data, **{"feed.json.sig": body(base64.b64encode(trusted.sign(data)))})
    code, _, err = update(capsys, url, cache, "--public-key", str(public))
    assert code == 0, err
    state = store.State.read(cache)
    assert state is not None
    assert state.signed


def test_older_feed_refused_unless_allowed(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    url = serve(server, bundle(OLDER))
    code, _, err = update(capsys, url, cache)
    assert_failed_and_intact(code, err, cache, "older than the one in use")
    assert "--allow-downgrade" in err
    code, _, err = update(capsys, url, cache, "--allow-downgrade")
    assert code == 0, err
    assert in_use(cache) == OLDER
    assert recorded(cache) == (store.sha256_hex(bundle(OLDER)), url, False)


def test_oversized_body(capsys: pytest.CaptureFixture[str], server: Server, cache: Path) -> None:
    url = serve(server, bundle(NEWER))
    code, _, err = update(capsys, url, cache, "--max-size", "2048")
    assert_failed_and_intact(code, err, cache, "larger than the 2048-byte limit")


@pytest.mark.slow
def test_redirect_to_plain_http_is_refused(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    url = serve(server, b"", feed=status(302, {"Location": "http://feeds.example.invalid/f.json"}))
    code, _, err = update(capsys, url, cache)
    assert_failed_and_intact(code, err, cache, "refusing plain http")


def test_redirect_within_loopback_is_followed(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    data = bundle(NEWER)
    serve(server, data)
    server.on("/moved.json", status(301, {"Location": "/feed.json"}))
    server.on("/moved.json.sha256", body(checksum(data)))
    code, _, err = update(capsys, f"{server.url}/moved.json", cache)
    assert code == 0, err


def test_invalid_bundle_is_refused(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    doc = json.loads(bundle(NEWER))
    doc["products"][0]["advisories"] = [{"id": "X"}]
    data = json.dumps(doc).encode()
    url = serve(server, data)
    code, _, err = update(capsys, url, cache)
    assert_failed_and_intact(code, err, cache, "products[0].advisories[0]")


def test_plain_http_to_other_hosts_refused_before_connecting(
    capsys: pytest.CaptureFixture[str], cache: Path
) -> None:
    code, _, err = update(capsys, "http://feeds.example.invalid/feed.json", cache)
    assert_failed_and_intact(code, err, cache, "refusing plain http")


def test_tampered_installed_feed_stops_every_command(
    capsys: pytest.CaptureFixture[str], cache: Path
) -> None:
    state = store.State.read(cache)
    assert state is not None
    installed = cache / store.installed_name(state.sha256)
    installed.write_bytes(installed.read_bytes().replace(b"Meetly", b"Meetlx", 1))
    capsys.readouterr()
    for command in (["feed", "info"], ["products"], ["advisory", "MSB-001"]):
        code, out, err = run(capsys, *command, "--cache-dir", str(cache))
        assert code == 4, (command, err)
        assert f"{installed}: the installed feed cannot be used: its checksum no longer" in err
        assert "Tip: run `vcaudit feed update` (or `feed import`) again" in err
        assert out == ""  # never the bundled feed instead


@pytest.mark.slow
def test_build_sign_and_import(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / "key.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    out = tmp_path / "dist"
    code, stdout, err = run(
        capsys,
        "feed",
        "build",
        "--source",
        str(TEST_FEED_DIR),
        "-o",
        str(out),
        "--sign-key",
        str(private),
        "--generated-at",
        BUILT.isoformat(),
    )
    assert code == 0, err
    assert stdout.count("wrote ") == 3
    first = (out / "feed.json").read_bytes()
    run(
        capsys,
        "feed",
        "build",
        "--source",
        str(TEST_FEED_DIR),
        "-o",
        str(out),
        "--generated-at",
        BUILT.isoformat(),
    )
    assert (out / "feed.json").read_bytes() == first  # reproducible
    cache = tmp_path / "cache"
    code, stdout, err = run(
        capsys,
        "feed",
        "import",
        str(out / "feed.json"),
        "--cache-dir",
        str(cache),
        "--public-key",
        str(public),
    )
    assert code == 0, err
    assert in_use(cache) == BUILT
    (out / "feed.json.sig").write_bytes(b"AAAA")
    code, _, err = run(
        capsys,
        "feed",
        "import",
        str(out / "feed.json"),
        "--cache-dir",
        str(cache),
        "--public-key",
        str(public),
    )
    assert code == 4
    assert "signature" in err


def test_scan_uses_feed_url_for_one_run(
    capsys: pytest.CaptureFixture[str], server: Server, tmp_path: Path
) -> None:
    url = serve(server, bundle(NEWER))
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,platform,product,version\na,windows,meetly,5.16.9\n", encoding="utf-8")
    code, out, err = run(
        capsys, "scan", str(fleet), "--feed", url, "-f", "json", "--as-of", NEWER.date().isoformat()
    )
    assert code == 1, err
    assert installation_rows(json.loads(out))[0]["status"] == "vulnerable"


@pytest.mark.slow
def test_bundled_feed_is_compiled_once(tmp_path: Path) -> None:
    first = store.feed_in_use(tmp_path)
    compiled = list(tmp_path.glob("bundled-*.json"))
    assert len(compiled) == 1
    assert compiled[0].stat().st_mode & 0o777 == 0o600
    written = compiled[0].read_bytes()
    again = store.feed_in_use(tmp_path)
    assert again.feed == first.feed
    assert compiled[0].read_bytes() == written  # read, not written again
    compiled[0].write_bytes(b"garbage")  # a broken cache is rebuilt, never trusted
    assert store.feed_in_use(tmp_path).feed == first.feed
    assert compiled[0].read_bytes() == written


def test_installed_feed_older_than_the_bundled_one_is_not_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = bundle(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    source = tmp_path / "old.json"
    source.write_bytes(data)
    Path(str(source) + ".sha256").write_bytes(checksum(data))
    cache = tmp_path / "cache"
    code, _, err = run(
        capsys, "feed", "import", str(source), "--cache-dir", str(cache), "--allow-downgrade"
    )
    assert code == 0, err
    assert recorded(cache) == (store.sha256_hex(data), str(source), False)
    assert store.feed_in_use(cache).origin == "bundled"
