"""Feed faults that used to hang or end in an internal error, through the CLI.

A server that trickles its answer, a non-ASCII ETag, a bundle with a huge number, a bundle
file or key file that never ends, and identification patterns that backtrack without bound:
each ends with one line and exit 4 (3 for the policy file), the previous feed in use.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR
from tests.feed.test_feed_update import (
    NEWER,
    PREVIOUS,
    Handler,
    Server,
    assert_failed_and_intact,
    body,
    bundle,
    checksum,
    in_use,
    run,
    serve,
    serving,
    update,
)
from vcaudit.feed import patterns, store
from vcaudit.feed.load import load_feed
from vcaudit.feed.update import FetchOptions, fetch_for_run


@pytest.fixture
def server() -> Iterator[Server]:
    with serving() as state:
        yield state


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A cache folder with the PREVIOUS feed installed."""
    directory = tmp_path / "cache"
    data = bundle(PREVIOUS)
    source = tmp_path / "previous.json"
    source.write_bytes(data)
    Path(str(source) + ".sha256").write_bytes(checksum(data))
    assert run_quiet("feed", "import", str(source), "--cache-dir", str(directory)) == 0
    return directory


def run_quiet(*args: str) -> int:
    from vcaudit.cli import main

    return main(list(args))


def one_byte_a_second(data: bytes) -> Handler:
    """Headers at once (with the full length), then the body one byte a second."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.flush()
        for byte in data:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(1.0)

    return handle


# -- deadlines --------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_trickling_bundle_ends_by_the_deadline(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    data = bundle(NEWER)
    url = serve(server, data, feed=one_byte_a_second(data))
    started = time.monotonic()
    code, _, err = update(capsys, url, cache, "--timeout", "2", "--retries", "3")
    elapsed = time.monotonic() - started
    assert_failed_and_intact(code, err, cache, "download timed out: not finished within 2 s")
    assert "--timeout bounds the whole update" in err
    assert elapsed < 10, elapsed  # one deadline for the update, retries included
    assert server.hits["/feed.json"] == 1  # a deadline that passed is not retried


@pytest.mark.slow
def test_a_trickling_checksum_ends_by_the_same_deadline(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    data = bundle(NEWER)
    url = serve(server, data, sum=one_byte_a_second(checksum(data)))
    started = time.monotonic()
    code, _, err = update(capsys, url, cache, "--timeout", "2")
    assert_failed_and_intact(code, err, cache, "feed.json.sha256: download timed out")
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_scan_feed_url_has_a_deadline_too(server: Server) -> None:
    from vcaudit.errors import FeedError

    data = bundle(NEWER)
    url = serve(server, data, feed=one_byte_a_second(data))
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"download timed out: not finished within 1\.5 s"):
        fetch_for_run(url, public_key=None, options=FetchOptions(timeout=1.5, retries=2))
    assert time.monotonic() - started < 8


def test_a_timeout_past_a_day_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    url = serve(server, bundle(NEWER))
    code, _, err = update(capsys, url, cache, "--timeout", "1e12")
    assert code == 2, err
    assert "--timeout: expected a number of seconds above 0 and at most 86400" in err
    assert in_use(cache) == PREVIOUS


# -- hostile answers and bundles --------------------------------------------------------------


def raw_etag(data: bytes, etag: bytes) -> Handler:
    """An answer whose ETag header holds these bytes exactly (UTF-8, not Latin-1)."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: %s\r\nConnection: close\r\n\r\n"
            % (len(data), etag)
        )
        h.wfile.write(data)
        h.close_connection = True

    return handle


def test_a_non_ascii_etag_never_breaks_a_later_update(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    data = bundle(NEWER)
    url = serve(server, data, feed=raw_etag(data, '"v\u00e9\u2028"'.encode()))
    code, _, err = update(capsys, url, cache)
    assert code == 0, err
    state = store.State.read(cache)
    assert state is not None
    assert state.etag == ""  # nothing a request could not carry is saved
    # A state saved by an earlier version with such an ETag is not sent back either.
    path = cache / store.STATE_NAME
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["etag"] = '"v\u00e9"'
    doc["last_modified"] = "Mon\r\nX-Evil: 1"
    path.write_text(json.dumps(doc), encoding="utf-8")
    seen: list[str | None] = []

    def record(h: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(h.headers.get("If-None-Match"))
        body(data, headers={"ETag": '"v2"'})(h)

    server.on("/feed.json", record)
    code, _, err = update(capsys, url, cache)
    assert code == 0, err
    assert "Traceback" not in err
    assert seen == [None]
    state = store.State.read(cache)
    assert state is not None
    assert state.etag == '"v2"'


@pytest.mark.parametrize("digits", [150, 5000])
def test_a_bundle_with_a_huge_number(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path, tmp_path: Path, digits: int
) -> None:
    doc = json.loads(bundle(NEWER))
    doc["schema_version"] = 123456789
    text = json.dumps(doc).replace("123456789", "9" * digits)
    data = text.encode()
    url = serve(server, data)
    code, _, err = update(capsys, url, cache)
    assert_failed_and_intact(code, err, cache, f"not a feed bundle: a number of {digits} digits")
    assert "line 1" in err
    # The same bundle from disk.
    path = tmp_path / "huge.json"
    path.write_bytes(data)
    Path(str(path) + ".sha256").write_bytes(checksum(data))
    code, _, err = run(capsys, "feed", "import", str(path), "--cache-dir", str(cache))
    assert_failed_and_intact(code, err, cache, f"a number of {digits} digits")


# -- inputs that never end --------------------------------------------------------------------


def _cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """vcaudit in a child process, so a hang fails the test instead of stalling it."""
    return subprocess.run(
        [sys.executable, "-m", "vcaudit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.slow
def test_feed_import_of_dev_zero_ends(cache: Path, tmp_path: Path) -> None:
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    Path(str(link) + ".sha256").write_bytes(checksum(b""))
    for target in ("/dev/zero", str(link)):
        result = _cli("feed", "import", target, "--cache-dir", str(cache))
        assert result.returncode == 4, result.stderr
        assert "cannot read: not a regular file (a FIFO, device or socket)" in result.stderr
        assert "Traceback" not in result.stderr
    assert in_use(cache) == PREVIOUS


@pytest.mark.slow
def test_feed_import_of_a_fifo_ends(cache: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "feed.json"
    link.symlink_to(fifo)
    Path(str(link) + ".sha256").write_bytes(checksum(b""))
    done = threading.Event()

    def writer() -> None:
        # A writer that opens the pipe and writes nothing, until the import is over.
        fd = os.open(fifo, os.O_RDWR)
        try:
            done.wait(30)
        finally:
            os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        for target in (str(fifo), str(link)):
            result = _cli("feed", "import", target, "--cache-dir", str(cache))
            assert result.returncode == 4, result.stderr
            assert "not a regular file" in result.stderr
    finally:
        done.set()
        thread.join()
    # A .sha256 that is a FIFO nobody writes to ends too.
    data = bundle(NEWER)
    real = tmp_path / "real.json"
    real.write_bytes(data)
    os.mkfifo(str(real) + ".sha256")
    result = _cli("feed", "import", str(real), "--cache-dir", str(cache))
    assert result.returncode == 4, result.stderr
    assert "real.json.sha256: cannot read: not a regular file" in result.stderr
    assert in_use(cache) == PREVIOUS


@pytest.mark.slow
def test_a_public_key_file_that_never_ends(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.symlink_to("/dev/zero")
    config = tmp_path / "vcaudit.yaml"
    config.write_text(f"feed:\n  public_key_file: {key}\n", encoding="utf-8")
    result = _cli("config", "check", str(config))
    assert result.returncode == 3, result.stderr
    assert f"{config}, line 2: feed.public_key_file: cannot read {key}: not a regular" in (
        result.stderr
    )
    big = tmp_path / "big.pem"
    big.write_bytes(b"A" * (store.MAX_KEY_BYTES + 1))
    config.write_text(f"feed:\n  public_key_file: {big}\n", encoding="utf-8")
    result = _cli("config", "check", str(config))
    assert result.returncode == 3, result.stderr
    assert "larger than the 64 KiB limit" in result.stderr
    # The same key given on the command line.
    result = _cli("feed", "import", str(tmp_path / "none.json"), "--public-key", str(key))
    assert result.returncode == 2, result.stderr
    assert f"--public-key: {key}: not a regular file" in result.stderr


# -- identification patterns ------------------------------------------------------------------

CATASTROPHIC = [
    r"(a+)+",
    r"(a|a)*",
    r"(.*)*",
    r"(a*)*b",
    r"(a?)+",
    r"(\w+\s?)+$",
    r"(a|aa)*c",
    r"(a|ab|b)*c",
    r"(x+x+)+y",
    r"^(([a-z])+.)+[A-Z]([a-z])+$",
    r"(a?a)+",
    r"([a-z]+)*$",
    r"(\d+|\w+)+",
    r"(?:a{1,9}){1,9}",
    r"\d+\d+",
    r".*.*x",
    r"Zoom.*\s.*\s.*x",
    r"a*b?a*",
    r"(?=(a+)+)b",
    r"(a)\1",
    "x" * (patterns.MAX_PATTERN_LENGTH + 1),
]
SAFE = [
    r"\d+(\.\d+)*",
    r"Zoom Rooms( v?\d+(\.\d+)*)?",
    r"(foo|bar)+",
    r"(ab|a)*",
    r"(a+b)+",
    r"(\d{1,3}\.){3}\d{1,3}",
    r"[^ ]+ [^ ]+",
    r"Zoom.*Communications.*",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    assert patterns.problem(pattern) is not None


@pytest.mark.parametrize("pattern", SAFE)
def test_linear_patterns_pass(pattern: str) -> None:
    assert patterns.problem(pattern) is None


def test_every_bundled_pattern_passes() -> None:
    found: list[str] = []
    for product in load_feed().products:
        ident = product.identify
        for rule in (*ident.windows, *ident.windows_exclude, *ident.names):
            found += [rule.name, rule.publisher]
        for helper in ident.not_clients:
            found += [helper.name, helper.publisher]
        found.append(ident.versions)
    checked = [p for p in found if p]
    assert len(checked) > 40
    assert [p for p in checked if patterns.problem(p)] == []


def test_the_refused_patterns_are_slow_and_the_check_is_not() -> None:
    """The check is what stands between a feed and a hang: a pattern it refuses really
    backtracks (a 26-character name takes a visible time), and the check itself is quick."""
    import re

    slow = re.compile(r"(a+)+c", re.IGNORECASE)
    started = time.monotonic()
    slow.fullmatch("a" * 22 + "!")
    assert time.monotonic() - started > 0.05
    started = time.monotonic()
    patterns.problem.cache_clear()
    for pattern in CATASTROPHIC + SAFE:
        patterns.problem(pattern)
    assert time.monotonic() - started < 2


def _feed_with_pattern(tmp_path: Path, key: str, pattern: str) -> Path:
    feed = tmp_path / "feed"
    feed.mkdir()
    for source in TEST_FEED_DIR.iterdir():
        (feed / source.name).write_bytes(source.read_bytes())
    product = next(p for p in sorted(feed.glob("*.yaml")) if p.name != "feed.yaml")
    text = product.read_text(encoding="utf-8")
    assert "identify:\n" in text
    rule = f"identify:\n  names:\n    - {key}: '{pattern}'\n"
    if key == "publisher":
        rule = f"identify:\n  names:\n    - name: 'Safe Name'\n      publisher: '{pattern}'\n"
    product.write_text(text.replace("identify:\n", rule, 1), encoding="utf-8")
    return product


@pytest.mark.parametrize("key", ["name", "publisher"])
def test_a_catastrophic_pattern_in_a_feed_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, key: str
) -> None:
    product = _feed_with_pattern(tmp_path, key, r"(\w+\s?)+$")
    code, out, err = run(capsys, "feed", "validate", str(tmp_path / "feed"))
    assert code == 4, err
    assert f"{product}, line " in err + out
    assert f"identify.names[0].{key}" in err + out
    assert "may take time exponential or polynomial in a name's length" in err + out
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_catastrophic_pattern_in_a_bundle_is_refused(
    capsys: pytest.CaptureFixture[str], server: Server, cache: Path
) -> None:
    doc = json.loads(bundle(NEWER))
    doc["products"][0]["identify"] = {"names": [{"name": "(a|aa)*c"}]}
    data = json.dumps(doc).encode()
    url = serve(server, data)
    code, _, err = update(capsys, url, cache)
    assert_failed_and_intact(code, err, cache, "identify.names[0].name: may take time")


def test_the_policy_file_takes_no_regular_expressions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Host patterns in the policy file are shell globs (fnmatch), which Python matches
    without unbounded backtracking: a rule made of stars against a long host name is quick,
    and a regular expression written there is a glob that matches nothing, not a hang."""
    fleet = tmp_path / "fleet.csv"
    host = "a" * 60000
    fleet.write_text(
        f"host,platform,product,version\n{host},windows,meetly,5.16.9\n", encoding="utf-8"
    )
    config = tmp_path / "vcaudit.yaml"
    config.write_text(
        f"ignore:\n  - id: MSB-001\n    reason: test\n    hosts: ['{'*a' * 40}*b', '(a+)+b']\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    code, _, err = run(
        capsys,
        "scan",
        str(fleet),
        "--feed",
        str(TEST_FEED_DIR),
        "--config",
        str(config),
        "-f",
        "json",
        "--as-of",
        NEWER.date().isoformat(),
    )
    assert code in (0, 1), err
    assert time.monotonic() - started < 5
