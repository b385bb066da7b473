"""What vcaudit trusts about a feed, through the CLI: the cache folder, installs, feed folders.

- The compiled bundled feed is data (JSON), never code: a pickle planted in the cache is not
  run, a damaged or foreign copy is rebuilt; a cache folder or file others can write is
  refused (an error when chosen with --cache-dir, set aside with a warning by default).
- A damaged installed feed, or a feed folder missing a product file, stops the run (exit 4),
  never a quiet fall-back to the bundled feed.
- An install is one rename: a run killed before it leaves the previous feed in use, and the
  next run removes what it left; two installs take turns.
- `feed import` and `feed update` run every check of `feed validate`, and refuse a feed dated
  in the future.
- No message shows URL credentials or a line of a file outside the feed folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR, write_fleet
from tests.feed.test_feed_update import (
    NEWER,
    PREVIOUS,
    Server,
    body,
    bundle,
    checksum,
    in_use,
    run,
    serve,
    serving,
    status,
)
from vcaudit import __version__
from vcaudit.feed import cachedir, compiled, store
from vcaudit.feed.load import bundle_bytes, bundled_feed_dir, load_feed
from vcaudit.feed.update import redact_url
from vcaudit.models import Feed

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def server() -> Iterator[Server]:
    with serving() as state:
        yield state


def private_folder(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True)
    return path


def import_bundle(capsys: Capsys, tmp_path: Path, data: bytes, cache: Path) -> tuple[int, str]:
    source = tmp_path / f"bundle-{hashlib.sha256(data).hexdigest()[:8]}.json"
    source.write_bytes(data)
    Path(f"{source}.sha256").write_bytes(checksum(data))
    code, _, err = run(capsys, "feed", "import", str(source), "--cache-dir", str(cache))
    return code, err


@pytest.fixture
def cache(capsys: Capsys, tmp_path: Path) -> Path:
    """A private cache folder with the PREVIOUS test feed installed."""
    directory = private_folder(tmp_path / "cache")
    code, err = import_bundle(capsys, tmp_path, bundle(PREVIOUS), directory)
    assert code == 0, err
    return directory


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """One Meetly client that the test feed calls vulnerable (and the bundled feed ignores)."""
    return write_fleet(tmp_path / "fleet.csv", ["a,windows,meetly,5.16.9"])


def scan(capsys: Capsys, fleet: Path, cache: Path) -> tuple[int, str, str]:
    return run(capsys, "scan", str(fleet), "--cache-dir", str(cache), "-f", "json")


def assert_one_error(code: int, err: str, expected: str, *, exit_code: int = 4) -> None:
    assert code == exit_code, err
    assert expected in err, err
    assert err.startswith("vcaudit: error: ")
    assert len(err.strip().splitlines()) <= 2  # the error, and perhaps a tip
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# The compiled bundled feed


def compiled_copies(cache: Path) -> list[Path]:
    return sorted(cache.glob("bundled-*"))


def pickle_name_before_json() -> str:
    """The name vcaudit gave its pickled feed before the cache became JSON."""
    directory = bundled_feed_dir()
    stats = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in directory.glob("*.yaml")
    )
    key = repr((__version__, 2, str(directory), stats))
    return f"bundled-{hashlib.sha256(key.encode()).hexdigest()[:20]}.pickle"


class _RunsCode:
    """Unpickling this runs code: it creates `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


@pytest.mark.slow
def test_a_pickle_in_the_cache_is_never_run(capsys: Capsys, tmp_path: Path, fleet: Path) -> None:
    cache = private_folder(tmp_path / "cache")
    code, first, err = scan(capsys, fleet, cache)
    assert code == 0, err
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(_RunsCode(marker))
    for copy in compiled_copies(cache):
        copy.write_bytes(payload)
    (cache / pickle_name_before_json()).write_bytes(payload)
    code, again, err = scan(capsys, fleet, cache)
    assert code == 0, err
    assert not marker.exists()
    assert again == first
    # The JSON copy was rebuilt and the pickle removed.
    (copy,) = compiled_copies(cache)
    assert copy.suffix == ".json"
    assert json.loads(copy.read_bytes().partition(b"\n")[0])["format"] == compiled.FORMAT


@pytest.mark.parametrize("which", ["bundled", "test"])
def test_compiled_copy_is_the_same_feed(which: str, bundled_feed: Feed, test_feed: Feed) -> None:
    feed = bundled_feed if which == "bundled" else test_feed
    data = compiled.dumps(feed, version="1", source="s")
    assert compiled.loads(data, version="1", source="s") == feed


def forged(data: bytes, change: dict[str, object] | None = None, **header: str) -> bytes:
    """A compiled copy whose header matches its (changed) payload, as only its owner could
    write it."""
    head, _, payload = data.partition(b"\n")
    doc = json.loads(payload)
    doc["info"].update(change or {})
    new_payload = json.dumps(doc).encode()
    fields = {**json.loads(head), **header, "payload": hashlib.sha256(new_payload).hexdigest()}
    return json.dumps(fields).encode() + b"\n" + new_payload


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flip(data: bytes) -> bytes:
    return data.replace(b'"severity":3', b'"severity":1', 1)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"garbage", id="garbage"),
        pytest.param(_cut, id="truncated"),
        pytest.param(_flip, id="payload-changed-header-kept"),
        pytest.param(lambda data: forged(data, vcaudit="0.0.1"), id="other-version"),
        pytest.param(lambda data: forged(data, source="0" * 64), id="other-feed-files"),
        pytest.param(lambda data: forged(data, {"schema_version": "1"}), id="wrong-type"),
        pytest.param(lambda data: forged(data, {"extra": 1}), id="extra-field"),
        pytest.param(lambda data: forged(data, {"publisher": None}), id="null-text"),
    ],
)
@pytest.mark.slow
def test_damaged_compiled_copy_is_rebuilt_never_trusted(
    damage: Callable[[bytes], bytes], tmp_path: Path, bundled_feed: Feed
) -> None:
    cache = private_folder(tmp_path / "cache")
    expected = store.feed_in_use(cache).feed
    assert expected.products == bundled_feed.products
    (copy,) = compiled_copies(cache)
    good = copy.read_bytes()
    copy.write_bytes(damage(good))
    assert store.feed_in_use(cache).feed == expected
    assert copy.read_bytes() == good


@pytest.mark.slow
def test_compiled_copy_of_another_feed_is_rebuilt(tmp_path: Path, test_feed: Feed) -> None:
    cache = private_folder(tmp_path / "cache")
    expected = store.feed_in_use(cache).feed
    (copy,) = compiled_copies(cache)
    header = json.loads(copy.read_bytes().partition(b"\n")[0])
    # The right header over another feed's products (a copy from a different feed folder).
    copy.write_bytes(compiled.dumps(test_feed, version=__version__, source=header["source"]))
    assert store.feed_in_use(cache).feed == expected


@pytest.mark.slow
def test_compiled_copy_is_used_only_when_it_is_the_users_own(tmp_path: Path) -> None:
    cache = private_folder(tmp_path / "cache")
    store.feed_in_use(cache)
    (copy,) = compiled_copies(cache)
    good = copy.read_bytes()
    planted = forged(good, {"publisher": "planted"})
    # Written by the user (mode 600): used, so a test would see a planted copy being used.
    copy.write_bytes(planted)
    assert store.feed_in_use(cache).feed.info.publisher == "planted"
    # Writable by others: not used, and replaced by a private copy.
    copy.chmod(0o666)
    assert store.feed_in_use(cache).feed.info.publisher == "vcaudit maintainers"
    assert copy.read_bytes() == good
    assert copy.stat().st_mode & 0o777 == 0o600
    # A symbolic link is not followed, even to a copy of the user's own.
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(planted)
    elsewhere.chmod(0o600)
    copy.unlink()
    copy.symlink_to(elsewhere)
    assert store.feed_in_use(cache).feed.info.publisher == "vcaudit maintainers"
    assert not copy.is_symlink()


# ---------------------------------------------------------------------------------------------
# The cache folder


@pytest.mark.parametrize(
    ("mode", "said"),
    [(0o777, "writable by others (mode 0777)"), (0o770, "writable by its group (mode 0770)")],
)
def test_a_chosen_cache_folder_others_can_write_is_refused(
    capsys: Capsys, tmp_path: Path, fleet: Path, server: Server, mode: int, said: str
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    url = serve(server, bundle(NEWER))
    source = tmp_path / "new.json"
    source.write_bytes(bundle(NEWER))
    Path(f"{source}.sha256").write_bytes(checksum(bundle(NEWER)))
    for command in (
        ["scan", str(fleet)],
        ["feed", "info"],
        ["products"],
        ["feed", "import", str(source)],
        ["feed", "update", "--url", url],
    ):
        code, out, err = run(capsys, *command, "--cache-dir", str(folder))
        assert_one_error(code, err, f"{folder}: the cache folder is {said}; vcaudit does not")
        assert f"Tip: chmod go-w {folder}" in err
        assert out == ""
    assert list(folder.iterdir()) == []  # nothing read, nothing written
    assert server.hits == {}  # refused before downloading


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_cache_folder_of_another_user_is_refused(
    capsys: Capsys, tmp_path: Path, fleet: Path
) -> None:
    folder = private_folder(tmp_path / "theirs")
    os.chown(folder, 65534, 65534)
    code, _, err = scan(capsys, fleet, folder)
    assert_one_error(code, err, "the cache folder belongs to another user (uid 65534)")


def test_the_default_cache_folder_others_can_write_is_set_aside(
    capsys: Capsys, tmp_path: Path, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VCAUDIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    folder = tmp_path / "xdg" / "vcaudit"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    code, out, err = run(capsys, "scan", str(fleet), "-f", "json")
    assert code == 0, err
    assert json.loads(out)["feed"]["source"] == "bundled"
    assert err == (
        f"vcaudit: warning: the feed cache {folder} is writable by others (mode 0777): not "
        f"used, the bundled feed is read without it (fix: chmod go-w {folder})\n"
    )
    assert list(folder.iterdir()) == []
    # With a feed installed there, running on the bundled one instead would change verdicts.
    (folder / store.STATE_NAME).write_text("{}", encoding="utf-8")
    code, out, err = run(capsys, "scan", str(fleet), "-f", "json")
    assert_one_error(code, err, "the cache folder is writable by others (mode 0777)")
    assert out == ""


# ---------------------------------------------------------------------------------------------
# A damaged installed feed


def _installed(cache: Path) -> Path:
    state = store.State.read(cache)
    assert state is not None
    return cache / store.installed_name(state.sha256)


def _replace_sha(cache: Path, value: str) -> None:
    path = cache / store.STATE_NAME
    doc = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**doc, "sha256": value}), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda c: _installed(c).unlink(), "the installed feed cannot be used: the file is"),
        (lambda c: _installed(c).write_bytes(b"{}"), "its checksum no longer matches"),
        (lambda c: _installed(c).chmod(0o646), "is writable by others (mode 0646)"),
        (
            lambda c: (c / store.STATE_NAME).write_bytes(b"\x80 not json"),
            "state.json: the installed feed cannot be used: its record is not valid JSON",
        ),
        (lambda c: _replace_sha(c, "../../etc/passwd"), "its record has no valid sha256"),
        (lambda c: (c / store.STATE_NAME).chmod(0o660), "writable by its group (mode 0660)"),
    ],
)
def test_a_damaged_installed_feed_stops_the_run(
    capsys: Capsys,
    cache: Path,
    fleet: Path,
    tmp_path: Path,
    damage: Callable[[Path], object],
    said: str,
) -> None:
    code, _, err = scan(capsys, fleet, cache)
    assert code == 1, err  # the installed test feed finds the vulnerable client
    damage(cache)
    for command in (["scan", str(fleet)], ["feed", "info"]):
        code, out, err = run(capsys, *command, "--cache-dir", str(cache))
        assert_one_error(code, err, said)
        assert out == ""  # no verdict from the bundled feed instead
    # Installing again repairs it.
    code, err = import_bundle(capsys, tmp_path, bundle(NEWER), cache)
    assert code == 0, err
    code, _, err = scan(capsys, fleet, cache)
    assert code == 1, err


def test_installed_feed_as_a_symbolic_link_is_not_followed(
    capsys: Capsys, cache: Path, fleet: Path, tmp_path: Path
) -> None:
    installed = _installed(cache)
    elsewhere = tmp_path / "elsewhere.json"
    installed.rename(elsewhere)
    installed.symlink_to(elsewhere)
    code, _, err = scan(capsys, fleet, cache)
    assert_one_error(code, err, "is a symbolic link; vcaudit does not follow it")


# ---------------------------------------------------------------------------------------------
# Feed folders: every product file, and only the folder's own files


def listed_feed(tmp_path: Path) -> Path:
    """The test feed, with feed.yaml listing its products."""
    target = tmp_path / "feed"
    shutil.copytree(TEST_FEED_DIR, target)
    meta = target / "feed.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8") + "products: [chatter, meetly, slackish]\n",
        encoding="utf-8",
    )
    return target


def test_a_feed_folder_missing_a_listed_product_file_is_refused(
    capsys: Capsys, tmp_path: Path, fleet: Path
) -> None:
    feed = listed_feed(tmp_path)
    code, _, err = run(capsys, "scan", str(fleet), "--feed", str(feed))
    assert code == 1, err
    (feed / "meetly.yaml").unlink()
    said = (
        f"{feed / 'feed.yaml'}, line 5: products: lists 'meetly' but meetly.yaml is not in the "
        "feed folder (a product file is missing)"
    )
    for command in (
        ["scan", str(fleet), "--feed", str(feed)],
        ["feed", "validate", str(feed)],
        ["feed", "info", "--feed", str(feed)],
        ["feed", "build", "--source", str(feed), "-o", str(tmp_path / "out")],
    ):
        code, out, err = run(capsys, *command)
        assert_one_error(code, err, said)
        assert out == ""
    assert not (tmp_path / "out").exists()


def test_a_feed_folder_with_an_unlisted_product_file_is_refused(
    capsys: Capsys, tmp_path: Path, fleet: Path
) -> None:
    feed = listed_feed(tmp_path)
    shutil.copy(feed / "meetly.yaml", feed / "meetly2.yaml")
    code, _, err = run(capsys, "scan", str(fleet), "--feed", str(feed))
    assert_one_error(code, err, f"{feed / 'meetly2.yaml'}: a product file that feed.yaml does")


def test_the_bundled_feed_lists_every_product_file(bundled_feed: Feed) -> None:
    files = sorted(p.stem for p in bundled_feed_dir().glob("*.yaml") if p.stem != "feed")
    assert [p.id for p in bundled_feed.products] == files
    assert "products:" in (bundled_feed_dir() / "feed.yaml").read_text(encoding="utf-8")


SECRET_FILE = "password: hunter2\napi_token: 0123456789abcdef\n"


@pytest.mark.parametrize("name", ["zz.yaml", "feed.yaml", "meetly.yaml"])
def test_a_symbolic_link_out_of_the_feed_folder_is_not_read(
    capsys: Capsys, tmp_path: Path, fleet: Path, name: str
) -> None:
    feed = tmp_path / "feed"
    shutil.copytree(TEST_FEED_DIR, feed)
    secret = tmp_path / "secret"
    secret.write_text(SECRET_FILE, encoding="utf-8")
    (feed / name).unlink(missing_ok=True)
    (feed / name).symlink_to(secret)
    for command in (["scan", str(fleet), "--feed", str(feed)], ["feed", "validate", str(feed)]):
        code, out, err = run(capsys, *command)
        assert_one_error(
            code, err, f"{feed / name}: is a symbolic link to a file outside the feed folder"
        )
        for word in ("password", "hunter2", "api_token", "0123456789"):
            assert word not in out + err


def test_a_symbolic_link_within_the_feed_folder_is_read(
    capsys: Capsys, tmp_path: Path, fleet: Path
) -> None:
    feed = tmp_path / "feed"
    shutil.copytree(TEST_FEED_DIR, feed)
    (feed / "products").mkdir()
    (feed / "meetly.yaml").rename(feed / "products" / "meetly.yml")
    (feed / "meetly.yaml").symlink_to(Path("products") / "meetly.yml")
    code, _, err = run(capsys, "scan", str(fleet), "--feed", str(feed))
    assert code == 1, err


def test_a_fifo_in_the_feed_folder_is_refused_without_waiting(
    capsys: Capsys, tmp_path: Path, fleet: Path
) -> None:
    feed = tmp_path / "feed"
    shutil.copytree(TEST_FEED_DIR, feed)
    os.mkfifo(feed / "zz.yaml")
    code, _, err = run(capsys, "scan", str(fleet), "--feed", str(feed))
    assert_one_error(code, err, f"{feed / 'zz.yaml'}: not a regular file")


# ---------------------------------------------------------------------------------------------
# Installing: one step, one at a time


def test_an_install_killed_before_its_commit_leaves_the_previous_feed(
    capsys: Capsys, cache: Path, fleet: Path
) -> None:
    # What a kill between the two writes leaves: the new feed's file, and a half-written
    # state beside the previous state.
    data = bundle(NEWER)
    (cache / store.installed_name(store.sha256_hex(data))).write_bytes(data)
    (cache / ".state.json.k1ll3d.tmp").write_text('{"sha256": "', encoding="utf-8")

    def listing() -> list[str]:
        return sorted(p.name for p in cache.iterdir() if not p.name.startswith("bundled-"))

    assert len(listing()) == 5  # .lock, state.json, the previous feed, and the two leftovers
    code, out, err = run(capsys, "feed", "info", "--cache-dir", str(cache))
    assert code == 0, err
    assert f"generated at: {PREVIOUS.isoformat()}" in out
    assert "source:       installed" in out
    # That run removed the leftovers.
    state = store.State.read(cache)
    assert state is not None
    assert listing() == sorted([".lock", store.STATE_NAME, store.installed_name(state.sha256)])
    code, _, err = scan(capsys, fleet, cache)
    assert code == 1, err


def test_the_previous_feed_file_goes_once_the_new_one_is_in_use(
    capsys: Capsys, cache: Path, tmp_path: Path
) -> None:
    previous = _installed(cache)
    code, err = import_bundle(capsys, tmp_path, bundle(NEWER), cache)
    assert code == 0, err
    assert not previous.exists()
    assert _installed(cache).exists()
    assert in_use(cache) == NEWER
    assert (cache / store.STATE_NAME).stat().st_mode & 0o777 == 0o600
    assert _installed(cache).stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_two_installs_take_turns(capsys: Capsys, cache: Path, tmp_path: Path) -> None:
    data = bundle(NEWER)
    source = tmp_path / "new.json"
    source.write_bytes(data)
    Path(f"{source}.sha256").write_bytes(checksum(data))
    codes: list[int] = []

    def install() -> None:
        codes.append(run(capsys, "feed", "import", str(source), "--cache-dir", str(cache))[0])

    with cachedir.locked(cache, wait=0):  # another vcaudit installing
        other = threading.Thread(target=install)
        other.start()
        time.sleep(0.5)
        assert other.is_alive()  # waiting for its turn
        assert in_use(cache) == PREVIOUS
    other.join(timeout=30)
    assert codes == [0]
    assert in_use(cache) == NEWER


@pytest.mark.slow
def test_an_install_gives_up_when_another_holds_the_folder_too_long(
    capsys: Capsys, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "LOCK_WAIT", 0.3)
    with cachedir.locked(cache, wait=0):
        code, err = import_bundle(capsys, tmp_path, bundle(NEWER), cache)
    assert_one_error(code, err, "another vcaudit has been installing a feed here for over 0 s")
    assert in_use(cache) == PREVIOUS


# ---------------------------------------------------------------------------------------------
# Every check of `feed validate`, and no feed from the future


def future_bundle(days: float) -> bytes:
    return bundle(dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=days))


def test_a_feed_dated_in_the_future_is_refused(
    capsys: Capsys, cache: Path, tmp_path: Path, server: Server
) -> None:
    data = future_bundle(3)
    code, err = import_bundle(capsys, tmp_path, data, cache)
    assert_one_error(code, err, "generated_at: refusing the feed: ")
    assert "is in the future (this machine's clock says" in err
    assert in_use(cache) == PREVIOUS
    url = serve(server, data)
    code, _, err = run(capsys, "feed", "update", "--url", url, "--cache-dir", str(cache))
    assert_one_error(code, err, "is in the future")
    assert in_use(cache) == PREVIOUS
    # `feed validate` of the bundle file says the same.
    path = tmp_path / "future.json"
    path.write_bytes(data)
    code, _, err = run(capsys, "feed", "validate", str(path))
    assert code == 4
    assert "generated_at: " in err
    assert "is in the future" in err


def test_a_feed_a_few_minutes_ahead_of_this_clock_is_accepted(
    capsys: Capsys, tmp_path: Path
) -> None:
    code, err = import_bundle(
        capsys, tmp_path, future_bundle(10 / 1440), private_folder(tmp_path / "c")
    )
    assert code == 0, err


def test_a_future_feed_installed_earlier_does_not_block_real_ones(
    capsys: Capsys, tmp_path: Path
) -> None:
    cache = private_folder(tmp_path / "cache")
    # As an older vcaudit could have installed it.
    data = future_bundle(400)
    sha = store.sha256_hex(data)
    (cache / store.installed_name(sha)).write_bytes(data)
    generated = json.loads(data)["generated_at"]
    state = store.State(sha, generated, "old", store.now_iso())
    (cache / store.STATE_NAME).write_bytes(state.encode())
    assert store.feed_in_use(cache).origin == "installed"
    code, err = import_bundle(capsys, tmp_path, bundle(NEWER), cache)
    assert code == 0, err
    assert in_use(cache) == NEWER


def overlapping_bundle(tmp_path: Path) -> bytes:
    """Slackish's Linux snap is also Chatter's name: Slackish would claim Chatter installs."""
    feed = tmp_path / "overlap"
    shutil.copytree(TEST_FEED_DIR, feed)
    path = feed / "slackish.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("snap: [slackish]", "snap: [chatter]"),
        encoding="utf-8",
    )
    load_feed(feed)  # the loader alone accepts it
    return bundle_bytes(feed, NEWER)


def test_a_bundle_whose_products_overlap_is_refused(
    capsys: Capsys, cache: Path, tmp_path: Path, server: Server
) -> None:
    data = overlapping_bundle(tmp_path)
    code, err = import_bundle(capsys, tmp_path, data, cache)
    assert_one_error(code, err, "identify: refusing the feed: 'chatter' of slackish also matches")
    assert "Tip: `vcaudit feed validate FILE` lists every problem" in err
    assert in_use(cache) == PREVIOUS
    url = serve(server, data)
    code, _, err = run(capsys, "feed", "update", "--url", url, "--cache-dir", str(cache))
    assert_one_error(code, err, "'chatter' of slackish also matches")
    assert in_use(cache) == PREVIOUS


# ---------------------------------------------------------------------------------------------
# URL credentials


SECRET = "pa55-w0rd-XYZ"


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://feeduser:{SECRET}@", 1)


def assert_no_credentials(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert "feeduser" not in text


@pytest.mark.slow
def test_url_credentials_never_appear(
    capsys: Capsys, cache: Path, tmp_path: Path, server: Server, fleet: Path
) -> None:
    data = bundle(NEWER)
    url = with_credentials(serve(server, data))
    shown = redact_url(url)
    assert shown == url.replace(f"feeduser:{SECRET}@", "***@")

    def update(*extra: str) -> tuple[int, str, str]:
        args = ("--cache-dir", str(cache), "--retries", "1", "--backoff", "0.01", *extra)
        return run(capsys, "feed", "update", "--url", url, *args)

    failures = [
        ({"sum": status(404)}, f"{shown}.sha256: server answered 404"),
        ({"sum": body(checksum(b"other"))}, f"{shown}: checksum mismatch"),
        ({"feed": status(503)}, f"{shown}: server error 503 (after 2 attempts)"),
        ({"feed": body(b"{}")}, f"{shown}: checksum mismatch"),
        (
            {"feed": status(302, {"Location": f"http://u:{SECRET}@feeds.example.invalid/f"})},
            "http://***@feeds.example.invalid/f: refusing plain http",
        ),
    ]
    for handlers, said in failures:
        serve(server, data, **handlers)
        code, out, err = update()
        assert_one_error(code, err, said)
        assert_no_credentials(out, err)
    serve(server, b"{}", sum=body(checksum(b"{}")))
    code, out, err = update()
    assert_one_error(code, err, f"{shown}: products: not a feed bundle")
    assert_no_credentials(out, err)
    assert in_use(cache) == PREVIOUS
    # Installed: the state and `feed info` name the URL without them.
    serve(server, data)
    code, out, err = update()
    assert code == 0, err
    assert_no_credentials(out, err, (cache / store.STATE_NAME).read_text(encoding="utf-8"))
    code, out, err = run(capsys, "feed", "info", "--cache-dir", str(cache))
    assert f"fetched from: {shown}" in out
    assert_no_credentials(out, err)
    # A report of a run on the URL's feed names it without them too.
    code, out, err = run(capsys, "scan", str(fleet), "--feed", url, "-f", "json")
    assert code == 1, err
    assert json.loads(out)["feed"]["source"] == shown
    assert_no_credentials(out, err)
    # And a URL that does not parse is one line, not an internal error.
    code, out, err = run(capsys, "feed", "update", "--url", f"http://u:{SECRET}@[::1/feed.json")
    assert_one_error(code, err, "/feed.json: not a valid URL")
    assert err.startswith("vcaudit: error: http://***@[")
    assert SECRET not in out + err


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@h/f.json", "https://***@h/f.json"),
        ("https://token@h/f.json", "https://***@h/f.json"),
        ("https://u:p@ss@h:8443/f.json", "https://***@h:8443/f.json"),
        ("https://h/f.json?token=abc&x=1", "https://h/f.json?token=***&x=***"),
        ("https://h/a@b/f.json", "https://h/a@b/f.json"),
        ("https://h/f.json", "https://h/f.json"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
