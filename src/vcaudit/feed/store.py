"""Where feeds live and which one is in use; checksums, signatures and atomic installs.

The bundled feed ships inside vcaudit. `vcaudit feed update` and `feed import` install a
verified bundle into the cache directory (`--cache-dir`, `VCAUDIT_CACHE_DIR`, else the
user's cache folder) as `feed.json`, with `state.json` beside it recording its checksum,
origin and HTTP validators. The feed in use is the newer of the installed and the bundled
one. An installed bundle whose checksum no longer matches its state is not used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vcaudit.errors import FeedError, VcauditError
from vcaudit.feed.load import bundled_feed_dir, load_bundle, load_feed
from vcaudit.files import atomic_write
from vcaudit.models import Feed

BUNDLE_NAME = "feed.json"
STATE_NAME = "state.json"
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """The user's cache folder for vcaudit, by platform convention."""
    override = environ.get("VCAUDIT_CACHE_DIR", "").strip()
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "vcaudit" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "vcaudit"
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vcaudit"


@dataclass(frozen=True, slots=True)
class State:
    """What is known about the installed bundle."""

    sha256: str
    generated_at: str
    source: str
    installed_at: str
    signed: bool = False
    etag: str = ""
    last_modified: str = ""

    @classmethod
    def read(cls, cache_dir: Path) -> State | None:
        """The state of the installed bundle, or None when there is none (or it is broken)."""
        try:
            data = json.loads((cache_dir / STATE_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("sha256"), str):
            return None
        text = {k: str(data.get(k) or "") for k in ("generated_at", "source", "installed_at",
                                                   "etag", "last_modified")}  # fmt: skip
        return cls(
            sha256=data["sha256"],
            generated_at=text["generated_at"],
            source=text["source"],
            installed_at=text["installed_at"],
            signed=bool(data.get("signed")),
            etag=text["etag"],
            last_modified=text["last_modified"],
        )

    def write(self, cache_dir: Path) -> None:
        """Write atomically."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        atomic_write(cache_dir / STATE_NAME, json.dumps(fields, indent=2) + "\n")


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` as lower-case hex."""
    return hashlib.sha256(data).hexdigest()


def parse_checksum(text: str, name: str) -> str:
    """The hex digest from a `.sha256` file (`<hex>` or `<hex>  <file name>`)."""
    first = text.strip().split()[0] if text.strip() else ""
    if not _HEX64.match(first):
        raise FeedError(name, "not a SHA-256 checksum file")
    return first.lower()


def verify_checksum(data: bytes, expected: str, name: str) -> None:
    """Refuse `data` unless its SHA-256 is `expected`."""
    actual = sha256_hex(data)
    if actual != expected:
        raise FeedError(name, f"checksum mismatch: expected {expected}, got {actual}")


def load_public_key(text: str, name: str) -> Any:
    """An Ed25519 public key from PEM text or a base64 raw key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    stripped = text.strip()
    try:
        if stripped.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(stripped.encode())
        else:
            import base64

            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(stripped, validate=True))
    except (ValueError, TypeError) as exc:
        raise FeedError(name, f"not an Ed25519 public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise FeedError(name, "the public key is not an Ed25519 key")
    return key


def verify_signature(data: bytes, signature: bytes, public_key: Any, name: str) -> None:
    """Refuse `data` unless `signature` (raw or base64) is the key's Ed25519 signature."""
    import base64
    import binascii

    from cryptography.exceptions import InvalidSignature

    raw = signature.strip()
    if len(raw) != 64:
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise FeedError(name, "the signature is not valid base64") from None
    try:
        public_key.verify(raw, data)
    except InvalidSignature:
        raise FeedError(
            name, "bad signature: the feed was not signed by the configured key"
        ) from None


def sign(data: bytes, private_key_pem: bytes, name: str) -> bytes:
    """The base64 Ed25519 signature of `data` (for `feed build --sign-key`)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise FeedError(name, f"not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise FeedError(name, "the signing key is not an Ed25519 key")
    return base64.b64encode(key.sign(data)) + b"\n"


@dataclass(frozen=True, slots=True)
class FeedInUse:
    """The feed a command will use, and how it was chosen."""

    feed: Feed
    origin: str
    """'bundled', 'installed', or the path/URL given with --feed."""
    state: State | None = None


def _installed(cache_dir: Path, state: State) -> Feed | None:
    path = cache_dir / BUNDLE_NAME
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if sha256_hex(data) != state.sha256:
        return None  # a half-written or tampered cache is never used
    try:
        return load_bundle(data, str(path))
    except FeedError:
        return None


def _not_older_than_bundled(state: State) -> bool:
    bundled_at = bundled_generated_at()
    if bundled_at is None:
        return True
    try:
        installed_at = dt.datetime.fromisoformat(state.generated_at)
    except ValueError:
        return False
    if installed_at.tzinfo is None:
        installed_at = installed_at.replace(tzinfo=dt.UTC)
    return installed_at >= bundled_at


def bundled_generated_at() -> dt.datetime | None:
    """When the bundled feed was generated (reads feed.yaml only)."""
    return load_feed_info(bundled_feed_dir())


def load_feed_info(directory: Path) -> dt.datetime | None:
    from vcaudit import yamlio

    try:
        data = yamlio.load((directory / "feed.yaml").read_text(encoding="utf-8"))
        value = data.get("generated_at") if isinstance(data, dict) else None
        parsed = dt.datetime.fromisoformat(str(value))
    except (OSError, ValueError, yamlio.YamlProblem):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def feed_in_use(cache_dir: Path) -> FeedInUse:
    """The newer of the installed and the bundled feed.

    The installed bundle's date is in its state file, so an older installed bundle is never
    parsed only to be set aside.
    """
    state = State.read(cache_dir)
    if state is not None and _not_older_than_bundled(state):
        feed = _installed(cache_dir, state)
        if feed is not None:
            info = replace(feed.info, location=f"installed ({cache_dir / BUNDLE_NAME})")
            return FeedInUse(replace(feed, info=info), "installed", state)
    feed = _bundled_compiled(cache_dir)
    return FeedInUse(replace(feed, info=replace(feed.info, location="bundled")), "bundled")


_COMPILED_FORMAT = 2
"""The compiled feed's layout (bumped when the feed model changes)."""


def _bundled_compiled(cache_dir: Path) -> Feed:
    """The bundled feed, from a compiled copy in the cache when one matches its files.

    Parsing and checking the YAML takes a noticeable part of a small scan; the compiled copy
    is keyed by the feed files' names, sizes and times and by vcaudit's version, so any
    change to either rebuilds it. A missing or unwritable cache just means parsing again.
    """
    import pickle

    from vcaudit import __version__

    directory = bundled_feed_dir()
    try:
        stats = sorted(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in directory.glob("*.yaml")
        )
    except OSError:
        return load_feed(directory)
    # The format number changes with the feed model, so an older compiled copy is not used.
    state = repr((__version__, _COMPILED_FORMAT, str(directory), stats))
    key = hashlib.sha256(state.encode()).hexdigest()[:20]
    path = cache_dir / f"bundled-{key}.pickle"
    unreadable = (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError)
    with contextlib.suppress(*unreadable), path.open("rb") as handle:
        # Written by vcaudit below, in this user's own cache folder: whoever can change it
        # can change vcaudit itself, so it is not untrusted input.
        cached = pickle.load(handle)  # noqa: S301
        if isinstance(cached, Feed):
            return cached
    feed = load_feed(directory)
    # A cache folder that cannot be written (read-only home, full disk) is no error.
    with contextlib.suppress(OSError, VcauditError):
        cache_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, pickle.dumps(feed, protocol=pickle.HIGHEST_PROTOCOL))
    return feed


def install(data: bytes, feed: Feed, cache_dir: Path, state: State) -> None:
    """Install a verified bundle: the feed first, then its state, each atomically."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FeedError(str(cache_dir), f"cannot create the cache folder: {exc.strerror}") from None
    del feed
    atomic_write(cache_dir / BUNDLE_NAME, data)
    state.write(cache_dir)


def now_iso() -> str:
    """The current UTC time for state records."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def environ_cache_dir(explicit: Path | None) -> Path:
    """`--cache-dir`, else VCAUDIT_CACHE_DIR, else the user's cache folder."""
    return explicit if explicit is not None else default_cache_dir(os.environ)
