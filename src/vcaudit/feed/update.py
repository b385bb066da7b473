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

import datetime as dt
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from vcaudit.errors import FeedError
from vcaudit.feed import store, validate
from vcaudit.feed.load import load_bundle
from vcaudit.models import Feed

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How to talk to the feed server."""

    timeout: float = 30.0
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
    def __init__(self, options: FetchOptions) -> None:
        import httpx

        self.httpx = httpx
        self.options = options
        self.client = httpx.Client(
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=False,
            headers={"User-Agent": "vcaudit feed update"},
        )

    def close(self) -> None:
        self.client.close()

    def get(
        self, url: str, headers: dict[str, str] | None = None, limit: int | None = None
    ) -> tuple[int, bytes, Any]:
        """GET with retries and checked redirects; returns (status, body, response headers)."""
        attempt = 0
        while True:
            try:
                return self._get_once(url, headers or {}, limit or self.options.max_bytes)
            except _Retryable as exc:
                if attempt >= self.options.retries:
                    raise FeedError(
                        redact_url(url), f"{exc} (after {attempt + 1} attempts)"
                    ) from None
                time.sleep(self.options.backoff * (2**attempt))
                attempt += 1

    def _get_once(self, url: str, headers: dict[str, str], limit: int) -> tuple[int, bytes, Any]:
        httpx = self.httpx
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(current, self.options.allow_http)
            try:
                with self.client.stream("GET", current, headers=headers) as response:
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
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > limit:
                        raise FeedError(shown, f"larger than the {limit}-byte limit")
                    total = int(declared) if declared and declared.isdigit() else None
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > limit:
                            raise FeedError(shown, f"larger than the {limit}-byte limit")
                        if self.options.progress is not None:
                            self.options.progress(len(body), total)
                    return 200, bytes(body), response.headers
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                raise _Retryable(f"download {kind}: {type(exc).__name__}") from None
        raise FeedError(redact_url(url), f"more than {MAX_REDIRECTS} redirects")


class _Retryable(Exception):
    pass


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
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    fetcher = _Fetcher(options)
    try:
        status, data, response_headers = fetcher.get(url, headers)
        if status == 304:
            return Outcome(False, current.feed, "the installed feed is up to date")
        _status, checksum, _ = fetcher.get(url + ".sha256", limit=4096)
        signature = None
        if public_key:
            _status, signature, _ = fetcher.get(url + ".sig", limit=4096)
    finally:
        fetcher.close()
    feed = verify(data, checksum.decode("utf-8", "replace"), signature, public_key, name)
    new_state = store.State(
        sha256=store.sha256_hex(data),
        generated_at=feed.info.generated_at.isoformat() if feed.info.generated_at else "",
        source=name,
        installed_at=store.now_iso(),
        signed=bool(public_key),
        etag=response_headers.get("etag", ""),
        last_modified=response_headers.get("last-modified", ""),
    )
    _install(data, feed, cache_dir, new_state, allow_downgrade)
    return Outcome(True, feed, _installed_message(feed))


def import_file(
    path: Path, cache_dir: Path, *, public_key: str | None, allow_downgrade: bool
) -> Outcome:
    """Verify and install a bundle from disk (air-gapped machines)."""
    store.check_folder(cache_dir)
    name = str(path)
    try:
        data = path.read_bytes()
        checksum = Path(name + ".sha256").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FeedError(str(exc.filename), "no such file (the bundle and its .sha256)") from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise FeedError(name, f"cannot read: {problem}") from None
    signature = None
    if public_key:
        try:
            signature = Path(name + ".sig").read_bytes()
        except FileNotFoundError:
            signature = None
    feed = verify(data, checksum, signature, public_key, name)
    state = store.State(
        sha256=store.sha256_hex(data),
        generated_at=feed.info.generated_at.isoformat() if feed.info.generated_at else "",
        source=str(path.resolve()),
        installed_at=store.now_iso(),
        signed=bool(public_key),
    )
    _install(data, feed, cache_dir, state, allow_downgrade)
    return Outcome(True, feed, _installed_message(feed))


def fetch_for_run(url: str, *, public_key: str | None, options: FetchOptions) -> Feed:
    """`--feed URL`: fetch and verify a bundle for this run only, installing nothing."""
    check_url(url, options.allow_http)
    fetcher = _Fetcher(options)
    try:
        _status, data, _ = fetcher.get(url)
        _status, checksum, _ = fetcher.get(url + ".sha256", limit=4096)
        signature = fetcher.get(url + ".sig", limit=4096)[1] if public_key else None
    finally:
        fetcher.close()
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
