"""Where feeds live and which one is in use; checksums, signatures and atomic installs.

The bundled feed ships inside vcaudit. `vcaudit feed update` and `feed import` install a
verified bundle into the cache folder (`--cache-dir`, `VCAUDIT_CACHE_DIR`, else the user's
cache folder) as `feed-<sha256>.json`, then commit it by replacing `state.json`, which names
that checksum and records origin and HTTP validators. Replacing `state.json` is the one step
that changes the feed in use: a run killed before it leaves the previous feed in use, and the
file it wrote is removed by the next run. The feed in use is the newer of the installed and
the bundled one. An installed feed that cannot be read, or whose checksum no longer matches
its state, stops the run (exit 4): it is never quietly replaced by the bundled feed.

The cache folder must be the user's own and writable by nobody else (see `cachedir`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vcaudit import files
from vcaudit.errors import FeedError
from vcaudit.feed import cachedir
from vcaudit.feed.load import MAX_BUNDLE_BYTES, bundled_feed_dir, load_bundle, load_feed
from vcaudit.models import Feed

BUNDLE_NAME = "feed.json"
"""The name `feed build` gives a bundle; also where vcaudit before 2027 installed one."""
STATE_NAME = "state.json"
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_MAX_STATE_BYTES = 64 * 1024
LOCK_WAIT = 60.0
"""Seconds an install waits for another one in the same folder (each holds it briefly)."""


def installed_name(sha256: str) -> str:
    """The file an installed bundle with this checksum is kept in."""
    return f"feed-{sha256.lower()}.json"


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


_REINSTALL = "run `vcaudit feed update` (or `feed import`) again to reinstall it"


def _damaged(path: Path, problem: str, hint: str = _REINSTALL) -> FeedError:
    return FeedError(str(path), f"the installed feed cannot be used: {problem}", hint=hint)


@dataclass(frozen=True, slots=True)
class State:
    """What is known about the installed bundle."""

    sha256: str
    generated_at: str
    source: str
    """Where it came from: a file path, or a URL without its credentials."""
    installed_at: str
    signed: bool = False
    etag: str = ""
    last_modified: str = ""

    @classmethod
    def read(cls, cache_dir: Path) -> State | None:
        """The state of the installed bundle, or None when none is installed.

        Raises FeedError when `state.json` exists but cannot be trusted or read: a feed was
        installed, and running on another one instead would be a silent change of verdicts.
        """
        path = cache_dir / STATE_NAME
        try:
            raw = cachedir.read_private(path, _MAX_STATE_BYTES)
        except FileNotFoundError:
            return None
        except cachedir.Untrusted as exc:
            raise _damaged(path, exc.problem.text, exc.problem.fix) from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise _damaged(path, "its record is not valid JSON") from None
        sha = data.get("sha256") if isinstance(data, dict) else None
        if not isinstance(sha, str) or not _HEX64.match(sha):
            raise _damaged(path, "its record has no valid sha256") from None
        assert isinstance(data, dict)
        text = {k: str(data.get(k) or "") for k in ("generated_at", "source", "installed_at",
                                                   "etag", "last_modified")}  # fmt: skip
        return cls(
            sha256=sha.lower(),
            generated_at=text["generated_at"],
            source=text["source"],
            installed_at=text["installed_at"],
            signed=data.get("signed") is True,
            etag=text["etag"],
            last_modified=text["last_modified"],
        )

    def encode(self) -> bytes:
        """The bytes of `state.json`."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return (json.dumps(fields, indent=2) + "\n").encode()


MAX_KEY_BYTES = 64 * 1024
"""The largest public key, checksum or signature file read (a PEM key is under 200 bytes)."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` (see `files.read_regular`:
    /dev/zero or a FIFO can neither hang nor fill memory)."""
    return files.read_regular(path, limit)


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

    # A raw signature is any 64 bytes (whitespace included): taken as it is. Anything else
    # is base64 text, whose surrounding whitespace (a final newline) does not count.
    raw = signature
    if len(raw) != 64:
        try:
            raw = base64.b64decode(signature.strip(), validate=True)
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
    warnings: tuple[str, ...] = ()
    """Said to the user before the run (a cache folder set aside)."""


def _installed(cache_dir: Path, state: State) -> Feed:
    """The installed bundle `state` names, verified against its checksum."""
    path = cache_dir / installed_name(state.sha256)
    try:
        data = cachedir.read_private(path, MAX_BUNDLE_BYTES)
    except FileNotFoundError:
        # Installed by vcaudit before 2027, under one fixed name.
        path = cache_dir / BUNDLE_NAME
        try:
            data = cachedir.read_private(path, MAX_BUNDLE_BYTES)
        except FileNotFoundError:
            raise _Missing(path) from None
        except cachedir.Untrusted as exc:
            raise _damaged(path, exc.problem.text, exc.problem.fix) from None
    except cachedir.Untrusted as exc:
        raise _damaged(path, exc.problem.text, exc.problem.fix) from None
    if sha256_hex(data) != state.sha256:
        raise _damaged(path, f"its checksum no longer matches the one recorded in {STATE_NAME}")
    try:
        return load_bundle(data, str(path))
    except FeedError as exc:
        raise _damaged(path, str(exc)) from None


class _Missing(Exception):
    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


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


def feed_summary(cache_dir: Path) -> str:
    """Which feed a scan would use and when it was generated, for `vcaudit --version`: read
    from the installed bundle's state and the bundled feed.yaml, without parsing a feed."""
    bundled = bundled_generated_at()
    try:
        state = State.read(cache_dir) if cachedir.folder_problem(cache_dir) is None else None
    except FeedError:
        state = None
    if state is not None and _not_older_than_bundled(state):
        return f"feed generated {state.generated_at} (installed from {state.source})"
    if bundled is None:
        return "feed: the bundled feed has no generated_at"
    return f"feed generated {bundled.isoformat()} (bundled)"


def untrusted_folder(cache_dir: Path, problem: cachedir.Problem) -> FeedError:
    """The error for a cache folder others can change."""
    return FeedError(
        str(cache_dir),
        f"the cache folder {problem.text}; vcaudit does not use a feed others can change",
        hint=problem.fix,
    )


def feed_in_use(cache_dir: Path, *, explicit: bool = True) -> FeedInUse:
    """The newer of the installed and the bundled feed.

    The installed bundle's date is in its state file, so an older installed bundle is never
    parsed only to be set aside. A cache folder that others can write, or that belongs to
    another user, is an error when it was chosen (`explicit`: --cache-dir or
    VCAUDIT_CACHE_DIR) or holds an installed feed; the default folder without an installed
    feed is only set aside, with a warning, and the bundled feed read without the cache.
    """
    problem = cachedir.folder_problem(cache_dir)
    if problem is not None:
        if explicit or os.path.lexists(cache_dir / STATE_NAME):
            raise untrusted_folder(cache_dir, problem)
        warning = (
            f"the feed cache {cache_dir} {problem.text}: not used, the bundled feed is read "
            f"without it (fix: {problem.fix})"
        )
        return _bundled_in_use(cache_dir, use_cache=False, warnings=(warning,))
    tidy(cache_dir, wait=0)
    state = State.read(cache_dir)
    for _attempt in range(3):
        if state is None or not _not_older_than_bundled(state):
            break
        try:
            feed = _installed(cache_dir, state)
        except _Missing as missing:
            # An install may have replaced it since the state was read: read that again.
            again = State.read(cache_dir)
            if again is not None and again != state:
                state = again
                continue
            raise _damaged(missing.path, "the file is missing") from None
        where = cache_dir / installed_name(state.sha256)
        info = replace(feed.info, location=f"installed ({where})")
        return FeedInUse(replace(feed, info=info), "installed", state)
    else:
        # Never the bundled feed in place of an installed one, even when installs keep
        # replacing it while this run reads it.
        raise _damaged(
            cache_dir / STATE_NAME,
            "another vcaudit replaced it three times while this run read it",
            hint="try again when it has finished installing",
        )
    return _bundled_in_use(cache_dir, use_cache=True)


def bundled_in_use(cache_dir: Path) -> FeedInUse:
    """The bundled feed, whatever is installed (for `feed update` to replace a damaged one)."""
    return _bundled_in_use(cache_dir, use_cache=cachedir.folder_problem(cache_dir) is None)


def _bundled_in_use(
    cache_dir: Path, *, use_cache: bool, warnings: tuple[str, ...] = ()
) -> FeedInUse:
    feed = _bundled_compiled(cache_dir, use_cache=use_cache)
    info = replace(feed.info, location="bundled")
    return FeedInUse(replace(feed, info=info), "bundled", warnings=warnings)


_COMPILED_PREFIX = "bundled-"


def _bundled_compiled(cache_dir: Path, *, use_cache: bool) -> Feed:
    """The bundled feed, from a compiled copy in the cache when one matches its files.

    Parsing and checking the YAML takes a noticeable part of a small scan. The compiled copy
    (JSON, see `compiled`) is named after a digest of the feed files' contents, their folder
    and vcaudit's version and model, and it must name the same digests inside: any change
    rebuilds it, and so does a copy that is damaged, or not the user's own. A missing or
    unwritable cache just means parsing again.
    """
    from vcaudit import __version__
    from vcaudit.feed import compiled

    directory = bundled_feed_dir()
    if not use_cache:
        return load_feed(directory)
    try:
        files = [(p.name, p.read_bytes()) for p in directory.glob("*.yaml")]
    except OSError:
        return load_feed(directory)
    source = compiled.source_digest([*files, ("(folder)", str(directory).encode())])
    key = hashlib.sha256(f"{__version__}\0{compiled.model_fingerprint()}\0{source}".encode())
    path = cache_dir / f"{_COMPILED_PREFIX}{key.hexdigest()[:20]}.json"
    with contextlib.suppress(FileNotFoundError, cachedir.Untrusted, compiled.Mismatch):
        data = cachedir.read_private(path, MAX_BUNDLE_BYTES)
        cached = compiled.loads(data, version=__version__, source=source)
        # The products must be those of the files (one per file, in id order).
        if [p.id for p in cached.products] == sorted(
            name.removesuffix(".yaml") for name, _ in files if name != "feed.yaml"
        ):
            return cached
    feed = load_feed(directory)
    # A cache folder that cannot be written (read-only home, full disk) is no error.
    with contextlib.suppress(OSError, ValueError):
        cachedir.make_folder(cache_dir)
        if cachedir.folder_problem(cache_dir) is None:
            cachedir.write_private(path, compiled.dumps(feed, version=__version__, source=source))
            _remove_other_compiled(cache_dir, keep=path.name)
    return feed


def _remove_other_compiled(cache_dir: Path, keep: str) -> None:
    """Compiled copies of other versions of the feed (and pickles of vcaudit before 2027)."""
    for entry in os.scandir(cache_dir):
        if entry.name.startswith(_COMPILED_PREFIX) and entry.name != keep:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


_STALE_AFTER = 3600.0
"""A compiled copy's temporary file older than this was left by a killed run."""


def tidy(cache_dir: Path, *, wait: float) -> None:
    """Remove what an interrupted install or compile left behind, under the lock.

    Installs write only while they hold the lock, so under it every temporary install file
    and every feed file the state does not name is a leftover. With `wait=0` a busy lock
    (another vcaudit installing) just skips the tidying.
    """
    if not cache_dir.is_dir():
        return
    with contextlib.suppress(cachedir.Busy, OSError), cachedir.locked(cache_dir, wait=wait):
        _tidy_locked(cache_dir)


def _feed_files_to_keep(cache_dir: Path) -> set[str] | None:
    """The installed feed's file; None when the state is damaged (then keep every one)."""
    try:
        state = State.read(cache_dir)
    except FeedError:
        return None
    if state is None:
        return set()
    name = installed_name(state.sha256)
    # A feed installed before 2027 is still in feed.json.
    return {name} if (cache_dir / name).exists() else {name, BUNDLE_NAME}


def _tidy_locked(cache_dir: Path) -> None:
    keep = _feed_files_to_keep(cache_dir)
    now = time.time()
    for entry in os.scandir(cache_dir):
        name = entry.name
        leftover = False
        if name.startswith((".feed-", f".{STATE_NAME}.", f".{BUNDLE_NAME}.")):
            leftover = name.endswith(".tmp")
        elif name.startswith(f".{_COMPILED_PREFIX}") and name.endswith(".tmp"):
            # Compiled copies are written without the lock: only old temporaries are stale.
            with contextlib.suppress(OSError):
                leftover = now - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER
        elif name.startswith(_COMPILED_PREFIX) and name.endswith(".pickle"):
            leftover = True  # never loaded: code can hide in a pickle
        elif keep is not None and (name == BUNDLE_NAME or name.startswith("feed-")):
            leftover = name.endswith(".json") and name not in keep
        if leftover:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def check_folder(cache_dir: Path) -> None:
    """Refuse a cache folder that others can change (before any download)."""
    problem = cachedir.folder_problem(cache_dir)
    if problem is not None:
        raise untrusted_folder(cache_dir, problem)


@contextlib.contextmanager
def install_lock(cache_dir: Path) -> Iterator[None]:
    """One install at a time in `cache_dir` (waits up to LOCK_WAIT seconds)."""
    check_folder(cache_dir)
    try:
        cachedir.make_folder(cache_dir)
    except OSError as exc:
        raise FeedError(str(cache_dir), f"cannot create the cache folder: {exc.strerror}") from None
    check_folder(cache_dir)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(cachedir.locked(cache_dir, wait=LOCK_WAIT))
        except cachedir.Busy:
            raise FeedError(
                str(cache_dir),
                f"another vcaudit has been installing a feed here for over {LOCK_WAIT:.0f} s",
                hint="try again when it has finished",
            ) from None
        except OSError as exc:
            raise FeedError(
                str(cache_dir), f"cannot lock the cache folder: {exc.strerror}"
            ) from None
        _tidy_locked(cache_dir)
        yield


def install(data: bytes, cache_dir: Path, state: State) -> None:
    """Install a verified bundle; the caller holds `install_lock`.

    The bundle goes to a file named by its checksum (not yet in use), then `state.json`,
    which names it, replaces the previous one: that rename is the install. The previous
    feed's file is removed after it.
    """
    try:
        cachedir.write_private(cache_dir / installed_name(state.sha256), data)
        cachedir.write_private(cache_dir / STATE_NAME, state.encode())
    except OSError as exc:
        raise FeedError(str(cache_dir), f"cannot install the feed: {exc.strerror}") from None
    _tidy_locked(cache_dir)


def now_iso() -> str:
    """The current UTC time for state records."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def environ_cache_dir(explicit: Path | None) -> Path:
    """`--cache-dir`, else VCAUDIT_CACHE_DIR, else the user's cache folder."""
    return explicit if explicit is not None else default_cache_dir(os.environ)
