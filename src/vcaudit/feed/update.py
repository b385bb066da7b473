"""`vcaudit feed update` and `feed import`: fetch or read a bundle, verify it, install it.

Nothing is installed unless every check passes: HTTPS (plain http only to loopback or with
--allow-http, redirects included), a size limit, the SHA-256 published beside the bundle,
the Ed25519 signature when a public key is configured, every check of `vcaudit feed
validate` (the schema and the checks across records), a `generated_at` not in the future,
and a feed not older than the one in use (unless --allow-downgrade). On any failure the
previous feed stays. Installs into one cache folder take turns (a lock), and the check
against the feed in use is made again under the lock.

A URL is named in messages, reports and the state file without its credentials
(`https://user:password@host` becomes `https://***@host`, query values become `***`).
Only this module imports httpx, so commands that make no request start fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from vcaudit.deadline import Watchdog, check_seconds
from vcaudit.errors import FeedError, UsageError
from vcaudit.feed import store, validate
from vcaudit.feed.load import MAX_BUNDLE_BYTES, load_bundle
from vcaudit.models import Feed

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How to talk to the feed server."""

    timeout: float = 30.0
    """The overall deadline of the update, in seconds: every request (the bundle, its .sha256
    and .sig), redirect, retry and wait between retries; also the longest wait for a read."""
    retries: int = 3
    """Attempts after the first, on connection errors, timeouts and 5xx answers."""
    backoff: float = 0.5
    """Seconds before the first retry; doubled each time."""
    max_bytes: int = DEFAULT_MAX_BYTES
    allow_http: bool = False
    progress: Callable[[int, int | None], None] | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an update did."""

    changed: bool
    feed: Feed | None
    message: str


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_QUERY_VALUE = re.compile(r"=[^&#]*")


def redact_url(url: str) -> str:
    """`url` as it may be shown: without user, password or query values."""
    text = _USERINFO.sub(r"\1***@", url)
    base, mark, rest = text.partition("?")
    return base + mark + _QUERY_VALUE.sub("=***", rest) if mark else text


def check_url(url: str, allow_http: bool) -> None:
    """HTTPS only; plain http to loopback, or anywhere with --allow-http."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise FeedError(redact_url(url), "not a valid URL") from None
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host:
        if allow_http or _is_loopback(host):
            return
        raise FeedError(
            redact_url(url), "refusing plain http (use https, or --allow-http if you must)"
        )
    raise FeedError(redact_url(url), "expected an https:// URL")


class _Fetcher:
    """The requests of one update, all within one overall deadline (`FetchOptions.timeout`).

    Socket timeouts bound each read, not a download: a server that sends its headers and
    then a byte a second never trips them. So the whole update (every request, redirect,
    retry and wait between retries) shares one deadline: each connection is put under a
    watchdog that shuts it down when the deadline passes, whatever call is blocked on it,
    and the time is checked again after every chunk read.
    """

    def __init__(self, options: FetchOptions, watchdog: Watchdog) -> None:
        import httpx

        self.httpx = httpx
        self.options = options
        self.watchdog = watchdog
        self.client = httpx.Client(
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=False,
            headers={"User-Agent": "vcaudit feed update", "Accept-Encoding": "identity"},
        )

    def close(self) -> None:
        self.client.close()

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        # httpcore reports each new connection; its socket goes under the watchdog.
        if event == "connection.connect_tcp.complete":
            sock = info["return_value"].get_extra_info("socket")
            if sock is not None:
                self.watchdog.watch(sock)

    def _late(self, url: str) -> FeedError:
        return FeedError(
            redact_url(url),
            f"download timed out: not finished within {self.options.timeout:g} s "
            "(--timeout bounds the whole update: the bundle, its .sha256 and .sig, "
            "redirects and retries); stopped",
        )

    def _check_time(self, url: str) -> None:
        if self.watchdog.expired or time.monotonic() >= self.watchdog.deadline:
            raise self._late(url)

    def get(
        self, url: str, headers: dict[str, str] | None = None, limit: int | None = None
    ) -> tuple[int, bytes, Any]:
        """GET with retries and checked redirects; returns (status, body, response headers)."""
        attempt = 0
        while True:
            try:
                return self._get_once(url, headers or {}, limit or self.options.max_bytes)
            except _Retryable as exc:
                self._check_time(url)
                if attempt >= self.options.retries:
                    raise FeedError(
                        redact_url(url), f"{exc} (after {attempt + 1} attempts)"
                    ) from None
                pause = self.options.backoff * (2**attempt)
                if time.monotonic() + pause >= self.watchdog.deadline:
                    raise self._late(url) from None
                time.sleep(pause)
                attempt += 1

    def _get_once(self, url: str, headers: dict[str, str], limit: int) -> tuple[int, bytes, Any]:
        httpx = self.httpx
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(current, self.options.allow_http)
            self._check_time(url)
            try:
                with self.client.stream(
                    "GET",
                    current,
                    headers=headers,
                    timeout=httpx.Timeout(self.watchdog.remaining()),
                    extensions={"trace": self._trace},
                ) as response:
                    if response.status_code == 304:
                        return 304, b"", response.headers
                    if response.has_redirect_location:
                        location = response.headers.get("location", "")
                        current = urljoin(current, location)
                        continue
                    if response.status_code >= 500:
                        raise _Retryable(f"server error {response.status_code}")
                    shown = redact_url(current)
                    if response.status_code != 200:
                        raise FeedError(shown, f"server answered {response.status_code}")
                    encoding = response.headers.get("content-encoding", "identity").lower()
                    if encoding not in ("", "identity"):
                        # Asked for identity: a compressed answer could expand far past the
                        # size limit before it is counted.
                        raise FeedError(
                            shown, f"the server sent it compressed ({encoding}) unasked"
                        )
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > limit:
                        raise FeedError(shown, f"larger than the {limit}-byte limit")
                    total = int(declared) if declared and declared.isdigit() else None
                    body = bytearray()
                    for chunk in response.iter_raw():
                        self._check_time(url)
                        body.extend(chunk)
                        if len(body) > limit:
                            raise FeedError(shown, f"larger than the {limit}-byte limit")
                        if self.options.progress is not None:
                            self.options.progress(len(body), total)
                    self._check_time(url)
                    return 200, bytes(body), response.headers
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                self._check_time(url)
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                raise _Retryable(f"download {kind}: {type(exc).__name__}") from None
        raise FeedError(redact_url(url), f"more than {MAX_REDIRECTS} redirects")


class _Retryable(Exception):
    pass


@contextlib.contextmanager
def _fetcher(options: FetchOptions) -> Iterator[_Fetcher]:
    """A fetcher whose requests all end by the overall deadline `options.timeout`."""
    try:
        check_seconds(options.timeout, "--timeout")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with Watchdog(options.timeout) as watchdog:
        fetcher = _Fetcher(options, watchdog)
        try:
            yield fetcher
        finally:
            fetcher.close()


def _check_not_older(feed: Feed, current: Feed, allow_downgrade: bool, name: str) -> None:
    new, old = feed.info.generated_at, current.info.generated_at
    if new is None or old is None or allow_downgrade:
        return
    if old > dt.datetime.now(dt.UTC) + validate.CLOCK_SKEW:
        return  # a feed dated in the future (installed before this was refused) blocks nothing
    if new < old:
        raise FeedError(
            name,
            f"refusing a feed generated {new.isoformat()}, older than the one in use "
            f"({old.isoformat()})",
            hint="use --allow-downgrade to install it anyway",
        )


def verify(
    data: bytes,
    checksum_text: str,
    signature: bytes | None,
    public_key: str | None,
    name: str,
) -> Feed:
    """Checksum, signature (when a key is configured) and every check of `feed validate`."""
    store.verify_checksum(data, store.parse_checksum(checksum_text, name + ".sha256"), name)
    if public_key:
        if signature is None:
            raise FeedError(name, "unsigned: a public key is configured but no signature found")
        key = store.load_public_key(public_key, "public key")
        store.verify_signature(data, signature, key, name)
    feed = load_bundle(data, name)
    now = dt.datetime.now(dt.UTC)
    problems = [
        *validate.bundle_schema_problems(data, name),
        *validate.semantic_problems(feed, now.date(), now=now),
    ]
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise FeedError(
            first.file,
            f"refusing the feed: {first.message}{more}",
            line=first.line,
            field=first.field,
            hint="`vcaudit feed validate FILE` lists every problem of a bundle file",
        )
    return feed


def _current(cache_dir: Path) -> store.FeedInUse:
    """The feed in use; the bundled one when the installed one is damaged (it is replaced)."""
    try:
        return store.feed_in_use(cache_dir)
    except FeedError:
        return store.bundled_in_use(cache_dir)


def _install(
    data: bytes, feed: Feed, cache_dir: Path, state: store.State, allow_downgrade: bool
) -> None:
    """Install under the folder's lock, checking again against the feed in use then."""
    with store.install_lock(cache_dir):
        _check_not_older(feed, _current(cache_dir).feed, allow_downgrade, state.source)
        store.install(data, cache_dir, state)


def update(
    url: str,
    cache_dir: Path,
    *,
    public_key: str | None,
    allow_downgrade: bool,
    options: FetchOptions,
) -> Outcome:
    """Fetch, verify and install the bundle at `url`."""
    check_url(url, options.allow_http)
    store.check_folder(cache_dir)
    name = redact_url(url)
    current = _current(cache_dir)
    state = current.state
    headers: dict[str, str] = {}
    if state is not None and state.source == name:
        # A validator saved by an earlier version may be one no request can carry.
        if _validator(state.etag):
            headers["If-None-Match"] = state.etag
        if _validator(state.last_modified):
            headers["If-Modified-Since"] = state.last_modified
    with _fetcher(options) as fetcher:
        status, data, response_headers = fetcher.get(url, headers)
        if status == 304:
            return Outcome(False, current.feed, "the installed feed is up to date")
        _status, checksum, _ = fetcher.get(url + ".sha256", limit=4096)
        signature = None
        if public_key:
            _status, signature, _ = fetcher.get(url + ".sig", limit=4096)
    feed = verify(data, checksum.decode("utf-8", "replace"), signature, public_key, name)
    new_state = store.State(
        sha256=store.sha256_hex(data),
        generated_at=feed.info.generated_at.isoformat() if feed.info.generated_at else "",
        source=name,
        installed_at=store.now_iso(),
        signed=bool(public_key),
        etag=_validator(response_headers.get("etag", "")),
        last_modified=_validator(response_headers.get("last-modified", "")),
    )
    _install(data, feed, cache_dir, new_state, allow_downgrade)
    return Outcome(True, feed, _installed_message(feed))


_MAX_VALIDATOR = 1024
_VALIDATOR = re.compile(r"[\x20-\x7e]*")


def _validator(value: str) -> str:
    """An ETag or Last-Modified as it may be sent back: printable ASCII of at most 1 KiB,
    else nothing (the next update downloads the bundle again, which is only slower)."""
    value = value.strip()
    if len(value) > _MAX_VALIDATOR or not _VALIDATOR.fullmatch(value):
        return ""
    return value


def import_file(
    path: Path, cache_dir: Path, *, public_key: str | None, allow_downgrade: bool
) -> Outcome:
    """Verify and install a bundle from disk (air-gapped machines)."""
    store.check_folder(cache_dir)
    name = str(path)
    data = _read_local(path, MAX_BUNDLE_BYTES)
    checksum = _read_local(Path(name + ".sha256"), store.MAX_KEY_BYTES)
    signature = None
    if public_key:
        try:
            signature = _read_local(Path(name + ".sig"), store.MAX_KEY_BYTES, missing_ok=True)
        except _NoFile:
            signature = None
    feed = verify(data, checksum.decode("utf-8", "replace"), signature, public_key, name)
    state = store.State(
        sha256=store.sha256_hex(data),
        generated_at=feed.info.generated_at.isoformat() if feed.info.generated_at else "",
        source=str(path.resolve()),
        installed_at=store.now_iso(),
        signed=bool(public_key),
    )
    _install(data, feed, cache_dir, state, allow_downgrade)
    return Outcome(True, feed, _installed_message(feed))


class _NoFile(Exception):
    pass


def _read_local(path: Path, limit: int, *, missing_ok: bool = False) -> bytes:
    """A file beside the bundle (or the bundle), read within `limit` (see store.read_regular)."""
    try:
        return store.read_regular(path, limit)
    except FileNotFoundError:
        if missing_ok:
            raise _NoFile from None
        raise FeedError(str(path), "no such file (the bundle and its .sha256)") from None
    except OSError as exc:
        raise FeedError(str(path), f"cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise FeedError(str(path), f"cannot read: {exc}") from None


def fetch_for_run(url: str, *, public_key: str | None, options: FetchOptions) -> Feed:
    """`--feed URL`: fetch and verify a bundle for this run only, installing nothing."""
    check_url(url, options.allow_http)
    with _fetcher(options) as fetcher:
        _status, data, _ = fetcher.get(url)
        _status, checksum, _ = fetcher.get(url + ".sha256", limit=4096)
        signature = fetcher.get(url + ".sig", limit=4096)[1] if public_key else None
    return verify(data, checksum.decode("utf-8", "replace"), signature, public_key, redact_url(url))


def _installed_message(feed: Feed) -> str:
    generated = feed.info.generated_at
    when = generated.isoformat() if generated else "an unknown date"
    advisories = sum(len(p.advisories) for p in feed.products)
    return (
        f"installed the feed generated {when}: {len(feed.products)} products, "
        f"{advisories} advisories"
    )


def build(
    directory: Path, output: Path, sign_key: Path | None, generated_at: dt.datetime
) -> list[Path]:
    """`vcaudit feed build`: the bundle, its .sha256 and, with a key, its .sig."""
    from vcaudit.errors import OutputError
    from vcaudit.feed.load import bundle_bytes
    from vcaudit.files import atomic_write

    data = bundle_bytes(directory, generated_at)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{output}: cannot create: {exc.strerror}") from None
    bundle = output / store.BUNDLE_NAME
    written = [bundle, Path(str(bundle) + ".sha256")]
    signature = None
    if sign_key is not None:
        try:
            pem = sign_key.read_bytes()
        except OSError as exc:
            raise FeedError(str(sign_key), f"cannot read: {exc.strerror}") from None
        signature = store.sign(data, pem, str(sign_key))
        written.append(Path(str(bundle) + ".sig"))
    atomic_write(bundle, data)
    atomic_write(written[1], f"{store.sha256_hex(data)}  {store.BUNDLE_NAME}\n")
    if signature is not None:
        atomic_write(written[2], signature)
    return written
