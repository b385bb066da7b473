"""vcaudit.feed.store without the CLI: where the cache folder is on each platform, what
state.json holds and when it cannot be trusted, checksums, which feed is in use (installed
or bundled, and why), the compiled copy of the bundled feed, what tidying removes and what
it keeps, and the errors of a locked or unwritable cache folder, each in its words."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR
from vcaudit import __version__
from vcaudit.errors import FeedError
from vcaudit.feed import cachedir, compiled, store
from vcaudit.feed.load import bundle_bytes, load_feed
from vcaudit.feed.store import State

SHA = "ab" * 32
WHEN = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def private(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def feed_error(error: pytest.ExceptionInfo[FeedError]) -> tuple[str, str]:
    return str(error.value), error.value.hint


# Where the cache folder is -----------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {}, "HOME/.cache/vcaudit"),
        ("linux", {"XDG_CACHE_HOME": "/x/cache"}, "/x/cache/vcaudit"),
        ("linux", {"XDG_CACHE_HOME": "", "LOCALAPPDATA": "/l"}, "HOME/.cache/vcaudit"),
        ("darwin", {"XDG_CACHE_HOME": "/x"}, "HOME/Library/Caches/vcaudit"),
        ("win32", {}, "HOME/AppData/Local/vcaudit/Cache"),
        ("win32", {"LOCALAPPDATA": "/l/app"}, "/l/app/vcaudit/Cache"),
        ("win32", {"VCAUDIT_CACHE_DIR": "  /chosen  "}, "/chosen"),
        ("darwin", {"VCAUDIT_CACHE_DIR": "/chosen"}, "/chosen"),
        ("linux", {"VCAUDIT_CACHE_DIR": "   ", "XDG_CACHE_HOME": "/x"}, "/x/vcaudit"),
    ],
)
def test_the_cache_folder_by_platform(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    environ: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    found = store.default_cache_dir(environ)
    assert found == Path(expected.replace("HOME", str(home)))


def test_the_cache_folder_chosen_on_the_command_line_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VCAUDIT_CACHE_DIR", str(tmp_path / "env"))
    assert store.environ_cache_dir(tmp_path / "flag") == tmp_path / "flag"
    assert store.environ_cache_dir(None) == tmp_path / "env"


# state.json ------------------------------------------------------------------------------


def write_state(cache: Path, data: bytes) -> Path:
    private(cache)
    cachedir.write_private(cache / store.STATE_NAME, data)
    return cache / store.STATE_NAME


def test_no_state_is_no_installed_feed(tmp_path: Path) -> None:
    assert State.read(private(tmp_path / "cache")) is None


def test_a_state_reads_back_as_written(tmp_path: Path) -> None:
    state = State(SHA, "2031-05-06T07:08:09+00:00", "https://f.example/feed.json", "now", True,
                  '"etag"', "Tue, 06 May 2031 07:08:09 GMT")  # fmt: skip
    write_state(tmp_path, state.encode())
    assert State.read(tmp_path) == state
    assert (
        state.encode()
        == (
            json.dumps(
                {
                    "sha256": SHA,
                    "generated_at": "2031-05-06T07:08:09+00:00",
                    "source": "https://f.example/feed.json",
                    "installed_at": "now",
                    "signed": True,
                    "etag": '"etag"',
                    "last_modified": "Tue, 06 May 2031 07:08:09 GMT",
                },
                indent=2,
            )
            + "\n"
        ).encode()
    )


def test_a_state_with_only_its_checksum(tmp_path: Path) -> None:
    write_state(tmp_path, json.dumps({"sha256": SHA.upper(), "source": None, "etag": 5}).encode())
    assert State.read(tmp_path) == State(SHA, "", "", "", False, "5", "")


@pytest.mark.parametrize("signed", ["true", '"yes"', "1"])
def test_only_true_records_a_signed_feed(tmp_path: Path, signed: str) -> None:
    write_state(tmp_path, f'{{"sha256": "{SHA}", "signed": {signed}}}'.encode())
    state = State.read(tmp_path)
    assert state is not None
    assert state.signed is (signed == "true")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"sha256": ', "its record is not valid JSON"),
        (b"\xff\xfe", "its record is not valid JSON"),
        (b"[" * 60_000, "its record is not valid JSON"),
        (b'["' + SHA.encode() + b'"]', "its record has no valid sha256"),
        (b'{"sha256": "' + SHA[:-1].encode() + b'"}', "its record has no valid sha256"),
        (b'{"sha256": "' + SHA.encode() + b'0"}', "its record has no valid sha256"),
        (b'{"sha256": 12}', "its record has no valid sha256"),
        (b'{"sha256": "' + b"g" * 64 + b'"}', "its record has no valid sha256"),
    ],
)
def test_a_state_that_cannot_be_read_stops_the_run(
    tmp_path: Path, data: bytes, problem: str
) -> None:
    path = write_state(tmp_path, data)
    with pytest.raises(FeedError) as caught:
        State.read(tmp_path)
    assert feed_error(caught) == (
        f"{path}: the installed feed cannot be used: {problem}",
        "run `vcaudit feed update` (or `feed import`) again to reinstall it",
    )


def test_a_state_others_can_change_stops_the_run(tmp_path: Path) -> None:
    path = write_state(tmp_path, State(SHA, "", "", "").encode())
    path.chmod(0o646)
    with pytest.raises(FeedError) as caught:
        State.read(tmp_path)
    assert feed_error(caught) == (
        f"{path}: the installed feed cannot be used: is writable by others (mode 0646)",
        f"chmod go-w {path}",
    )


# Checksums -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", [f"{SHA}\n", f"{SHA.upper()}  feed.json\n", f"  {SHA}\tfeed.json extra\n"]
)
def test_a_checksum_file(text: str) -> None:
    assert store.parse_checksum(text, "feed.json.sha256") == SHA


@pytest.mark.parametrize("text", ["", "  \n", SHA[:-1], f"{SHA}0", f"x{SHA}", "feed.json " + SHA])
def test_what_is_no_checksum_file(text: str) -> None:
    with pytest.raises(FeedError) as caught:
        store.parse_checksum(text, "feed.json.sha256")
    assert str(caught.value) == "feed.json.sha256: not a SHA-256 checksum file"


def test_a_checksum_that_does_not_match_names_both() -> None:
    data = b"feed"
    actual = store.sha256_hex(data)
    store.verify_checksum(data, actual, "feed.json")
    with pytest.raises(FeedError) as caught:
        store.verify_checksum(data, SHA, "feed.json")
    assert str(caught.value) == f"feed.json: checksum mismatch: expected {SHA}, got {actual}"


def test_an_installed_feed_is_named_by_its_checksum_in_lower_case() -> None:
    assert store.installed_name(SHA.upper()) == f"feed-{SHA}.json"


def test_now_is_utc_to_the_second() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", store.now_iso())


# Which feed is in use ---------------------------------------------------------------------


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test feed, standing in for the feed bundled with vcaudit (quicker to read)."""
    folder = tmp_path / "bundled"
    shutil.copytree(TEST_FEED_DIR, folder)
    monkeypatch.setattr(store, "bundled_feed_dir", lambda: folder)
    return folder


def bundled_at(folder: Path) -> dt.datetime:
    found = store.load_feed_info(folder)
    assert found is not None
    return found


def install(cache: Path, when: dt.datetime, generated_at: str | None = None) -> State:
    data = bundle_bytes(TEST_FEED_DIR, when)
    record = State(store.sha256_hex(data), when.isoformat(), "test", "now")
    if generated_at is not None:
        record = replace(record, generated_at=generated_at)
    with store.install_lock(cache):
        store.install(data, cache, record)
    return record


def test_a_newer_installed_feed_is_in_use(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    when = bundled_at(bundled) + dt.timedelta(days=1)
    state = install(cache, when)
    found = store.feed_in_use(cache)
    assert found.origin == "installed"
    assert found.state == state
    assert found.warnings == ()
    assert found.feed.info.generated_at == when
    where = cache / store.installed_name(state.sha256)
    assert found.feed.info.location == f"installed ({where})"


def test_an_installed_feed_as_old_as_the_bundled_one_is_in_use(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    install(cache, bundled_at(bundled))
    assert store.feed_in_use(cache).origin == "installed"


def test_an_older_installed_feed_is_not_read(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    state = install(cache, bundled_at(bundled) - dt.timedelta(seconds=1))
    # Damaged: it would stop the run if it were read.
    (cache / store.installed_name(state.sha256)).write_bytes(b"damaged")
    found = store.feed_in_use(cache)
    assert (found.origin, found.state, found.feed.info.location) == ("bundled", None, "bundled")
    assert found.feed.info.generated_at == bundled_at(bundled)


@pytest.mark.parametrize(
    ("generated_at", "origin"),
    [("not a date", "bundled"), ("2099-01-01T00:00:00", "installed"), ("", "bundled")],
)
def test_the_installed_feeds_date_is_read_from_its_state(
    bundled: Path, tmp_path: Path, generated_at: str, origin: str
) -> None:
    cache = private(tmp_path / "cache")
    install(cache, bundled_at(bundled) + dt.timedelta(days=1), generated_at=generated_at)
    assert store.feed_in_use(cache).origin == origin


def test_a_naive_date_is_utc(bundled: Path, tmp_path: Path) -> None:
    at = bundled_at(bundled)
    cache = private(tmp_path / "cache")
    naive = (at - dt.timedelta(hours=1)).replace(tzinfo=None).isoformat()
    install(cache, at + dt.timedelta(days=1), generated_at=naive)
    # One hour before the bundled feed in UTC (in any other zone it could be after it).
    assert store.feed_in_use(cache).origin == "bundled"


def test_an_installed_feed_whose_file_is_missing_stops_the_run(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    state = install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    (cache / store.installed_name(state.sha256)).unlink()
    with pytest.raises(FeedError) as caught:
        store.feed_in_use(cache)
    assert feed_error(caught) == (
        f"{cache / store.BUNDLE_NAME}: the installed feed cannot be used: the file is missing",
        "run `vcaudit feed update` (or `feed import`) again to reinstall it",
    )


def test_a_feed_installed_before_2027_is_read_from_feed_json(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    state = install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    os.replace(cache / store.installed_name(state.sha256), cache / store.BUNDLE_NAME)
    found = store.feed_in_use(cache)
    assert found.origin == "installed"
    assert found.feed.info.generated_at == bundled_at(bundled) + dt.timedelta(days=1)
    assert (cache / store.BUNDLE_NAME).exists()  # tidying keeps it: the state names it


@pytest.mark.parametrize("legacy", [False, True])
def test_an_installed_feed_that_changed_stops_the_run(
    bundled: Path, tmp_path: Path, legacy: bool
) -> None:
    cache = private(tmp_path / "cache")
    state = install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    path = cache / store.installed_name(state.sha256)
    if legacy:
        path = path.rename(cache / store.BUNDLE_NAME)
    path.write_bytes(path.read_bytes() + b" ")
    with pytest.raises(FeedError) as caught:
        store.feed_in_use(cache)
    assert feed_error(caught) == (
        f"{path}: the installed feed cannot be used: its checksum no longer matches the one "
        "recorded in state.json",
        "run `vcaudit feed update` (or `feed import`) again to reinstall it",
    )


@pytest.mark.parametrize("legacy", [False, True])
def test_an_installed_feed_others_can_change_stops_the_run(
    bundled: Path, tmp_path: Path, legacy: bool
) -> None:
    cache = private(tmp_path / "cache")
    state = install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    path = cache / store.installed_name(state.sha256)
    if legacy:
        path = path.rename(cache / store.BUNDLE_NAME)
    path.chmod(0o664)
    with pytest.raises(FeedError) as caught:
        store.feed_in_use(cache)
    assert feed_error(caught) == (
        f"{path}: the installed feed cannot be used: is writable by its group (mode 0664)",
        f"chmod go-w {path}",
    )


def test_an_installed_bundle_that_is_no_feed_stops_the_run(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    data = b'{"not": "a feed"}'
    when = bundled_at(bundled) + dt.timedelta(days=1)
    with store.install_lock(cache):
        store.install(data, cache, State(store.sha256_hex(data), when.isoformat(), "x", "y"))
    path = cache / store.installed_name(store.sha256_hex(data))
    with pytest.raises(FeedError) as caught:
        store.feed_in_use(cache)
    message, hint = feed_error(caught)
    assert message.startswith(f"{path}: the installed feed cannot be used: {path}: ")
    assert hint == "run `vcaudit feed update` (or `feed import`) again to reinstall it"


def test_a_chosen_cache_folder_others_can_write_is_refused(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    cache.chmod(0o777)
    with pytest.raises(FeedError) as caught:
        store.feed_in_use(cache)
    assert feed_error(caught) == (
        f"{cache}: the cache folder is writable by others (mode 0777); vcaudit does not use a "
        "feed others can change",
        f"chmod go-w {cache}",
    )
    with pytest.raises(FeedError):
        store.check_folder(cache)
    with pytest.raises(FeedError):
        lock(cache)


def test_the_default_cache_folder_others_can_write_is_set_aside(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    cache.chmod(0o777)
    found = store.feed_in_use(cache, explicit=False)
    assert found.origin == "bundled"
    assert found.warnings == (
        f"the feed cache {cache} is writable by others (mode 0777): not used, the bundled feed "
        f"is read without it (fix: chmod go-w {cache})",
    )
    assert list(cache.iterdir()) == []  # nothing compiled into it
    # ...unless a feed was installed there: then it is an error, chosen or not.
    cache.chmod(0o700)
    install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    cache.chmod(0o777)
    with pytest.raises(FeedError, match="the cache folder is writable by others"):
        store.feed_in_use(cache, explicit=False)


def test_store_check_folder_passes_a_private_or_missing_folder(tmp_path: Path) -> None:
    store.check_folder(private(tmp_path / "cache"))
    store.check_folder(tmp_path / "missing")


# The compiled copy of the bundled feed ----------------------------------------------------


def compiled_copies(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.startswith("bundled-"))


def test_the_bundled_feed_is_compiled_once_and_read_from_its_copy(
    bundled: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"  # created on the way, private
    first = store.feed_in_use(cache)
    (name,) = compiled_copies(cache)
    assert re.fullmatch(r"bundled-[0-9a-f]{20}\.json", name)
    assert (cache.stat().st_mode & 0o777, (cache / name).stat().st_mode & 0o777) == (0o700, 0o600)
    assert first.feed.products == load_feed(bundled).products
    # The copy is what the next run reads: a change to it (by its owner) shows.
    copy = cache / name
    head, _, payload = copy.read_bytes().partition(b"\n")
    doc = json.loads(payload)
    doc["info"]["publisher"] = "from the copy"
    new_payload = json.dumps(doc).encode()
    header = {**json.loads(head), "payload": hashlib.sha256(new_payload).hexdigest()}
    copy.write_bytes(json.dumps(header).encode() + b"\n" + new_payload)
    assert store.feed_in_use(cache).feed.info.publisher == "from the copy"
    assert store.bundled_in_use(cache).feed.info.publisher == "from the copy"


def test_a_change_to_the_bundled_files_compiles_a_new_copy_and_drops_the_old(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    store.feed_in_use(cache)
    (old,) = compiled_copies(cache)
    (cache / "bundled-0123.pickle").write_bytes(b"x")
    (cache / "notes.txt").write_text("mine", encoding="utf-8")
    meetly = bundled / "meetly.yaml"
    meetly.write_text(meetly.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    store.feed_in_use(cache)
    (new,) = compiled_copies(cache)
    assert new != old
    assert (cache / "notes.txt").exists()


def test_a_copy_with_other_products_is_not_used(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    expected = store.feed_in_use(cache).feed
    (name,) = compiled_copies(cache)
    header = json.loads((cache / name).read_bytes().partition(b"\n")[0])
    whole = load_feed(bundled)
    fewer = replace(whole, products=whole.products[:1])
    (cache / name).write_bytes(compiled.dumps(fewer, version=__version__, source=header["source"]))
    assert store.feed_in_use(cache).feed == expected


def test_a_cache_that_cannot_be_written_still_gives_the_bundled_feed(
    bundled: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    found = store.bundled_in_use(blocked / "cache")
    assert found.origin == "bundled"
    assert found.feed.info.generated_at == bundled_at(bundled)


def test_the_bundled_feed_without_a_date(tmp_path: Path) -> None:
    assert store.load_feed_info(tmp_path) is None
    (tmp_path / "feed.yaml").write_text("generated_at: yesterday\n", encoding="utf-8")
    assert store.load_feed_info(tmp_path) is None
    (tmp_path / "feed.yaml").write_text("- a list\n", encoding="utf-8")
    assert store.load_feed_info(tmp_path) is None
    (tmp_path / "feed.yaml").write_text("generated_at: 2030-01-02T03:04:05\n", encoding="utf-8")
    assert store.load_feed_info(tmp_path) == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    (tmp_path / "feed.yaml").write_text(
        "generated_at: 2030-01-02T03:04:05+02:00\n", encoding="utf-8"
    )
    assert store.load_feed_info(tmp_path) == dt.datetime(2030, 1, 2, 1, 4, 5, tzinfo=dt.UTC)


def test_a_bundled_feed_without_a_date_lets_any_installed_feed_be_used(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    install(cache, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    (bundled / "feed.yaml").write_text("generated_at: [\n", encoding="utf-8")
    assert store.bundled_generated_at() is None
    assert store.feed_in_use(cache).origin == "installed"


# Tidying ---------------------------------------------------------------------------------


def test_tidying_removes_leftovers_and_keeps_the_rest(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    state = install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    leftovers = [
        ".feed-1234.json.x.tmp",
        ".state.json.k1.tmp",
        ".feed.json.k2.tmp",
        "bundled-0123.pickle",
        f"feed-{'cd' * 32}.json",
        ".bundled-old.json.k3.tmp",
    ]
    kept = [
        ".feed-notes",
        ".state.json.k1.bak",
        ".bundled-new.json.k4.tmp",
        "bundled-0123.json",
        "feed-notes.txt",
        "my-feed.json",
        store.installed_name(state.sha256),
        store.STATE_NAME,
        cachedir.LOCK_NAME,
    ]
    for name in leftovers + kept:
        if not (cache / name).exists():
            (cache / name).write_bytes(b"x")
    old = time.time() - 3601
    os.utime(cache / ".bundled-old.json.k3.tmp", (old, old))
    os.utime(cache / ".bundled-new.json.k4.tmp", (old + 10, old + 10))
    store.tidy(cache, wait=0)
    assert sorted(p.name for p in cache.iterdir()) == sorted(kept)


def test_tidying_keeps_every_feed_file_when_the_state_is_damaged(tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    write_state(cache, b"{")
    names = [f"feed-{'cd' * 32}.json", store.BUNDLE_NAME, ".state.json.x.tmp"]
    for name in names:
        (cache / name).write_bytes(b"x")
    store.tidy(cache, wait=0)
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [cachedir.LOCK_NAME, store.STATE_NAME, *names[:2]]
    )


def test_tidying_without_a_state_removes_every_feed_file(tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    for name in (f"feed-{'cd' * 32}.json", store.BUNDLE_NAME):
        (cache / name).write_bytes(b"x")
    store.tidy(cache, wait=0)
    assert sorted(p.name for p in cache.iterdir()) == [cachedir.LOCK_NAME]


def test_tidying_skips_a_busy_or_missing_folder(tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    (cache / ".state.json.x.tmp").write_bytes(b"x")
    with cachedir.locked(cache, wait=0):
        store.tidy(cache, wait=0)
    assert (cache / ".state.json.x.tmp").exists()
    store.tidy(tmp_path / "missing", wait=0)
    assert not (tmp_path / "missing").exists()


def test_an_install_replaces_the_previous_feed(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    first = install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    second = install(cache, bundled_at(bundled) + dt.timedelta(days=2))
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [cachedir.LOCK_NAME, store.STATE_NAME, store.installed_name(second.sha256)]
    )
    assert first != second
    assert State.read(cache) == second


# Install errors --------------------------------------------------------------------------


def lock(cache: Path) -> None:
    with store.install_lock(cache):
        pass


def test_an_install_waits_for_another_then_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = private(tmp_path / "cache")
    monkeypatch.setattr(store, "LOCK_WAIT", 0.2)
    with cachedir.locked(cache, wait=0), pytest.raises(FeedError) as caught:
        lock(cache)
    assert feed_error(caught) == (
        f"{cache}: another vcaudit has been installing a feed here for over 0 s",
        "try again when it has finished",
    )
    lock(cache)  # free again


def test_an_install_in_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.symlink_to(tmp_path / "nowhere")  # a dangling link: no folder, and none can be made
    with pytest.raises(FeedError) as caught:
        lock(cache)
    assert str(caught.value) == f"{cache}: cannot create the cache folder: File exists"


def test_an_install_that_cannot_write_keeps_the_previous_feed(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    first = install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    data = b"x" * 10
    # The new feed's file name is taken by a folder: writing it fails.
    state = State(store.sha256_hex(data), "", "", "")
    (cache / store.installed_name(state.sha256)).mkdir()
    with pytest.raises(FeedError) as caught:
        store.install(data, cache, state)
    assert str(caught.value) == f"{cache}: cannot install the feed: Is a directory"
    assert State.read(cache) == first


# What `vcaudit --version` says of the feed -------------------------------------------------


def test_the_feed_summary_names_the_feed_a_scan_would_use(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    at = bundled_at(bundled)
    assert store.feed_summary(cache) == f"feed generated {at.isoformat()} (bundled)"
    newer = at + dt.timedelta(days=1)
    install(cache, newer)
    assert store.feed_summary(cache) == f"feed generated {newer.isoformat()} (installed from test)"
    cache.chmod(0o777)  # a folder others can change is not read
    assert store.feed_summary(cache) == f"feed generated {at.isoformat()} (bundled)"
    cache.chmod(0o700)
    (cache / store.STATE_NAME).write_bytes(b"{")  # a damaged state: the bundled feed's date
    assert store.feed_summary(cache) == f"feed generated {at.isoformat()} (bundled)"


def test_the_feed_summary_of_an_older_install_or_an_undated_bundle(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    at = bundled_at(bundled)
    install(cache, at - dt.timedelta(days=1))
    assert store.feed_summary(cache) == f"feed generated {at.isoformat()} (bundled)"
    (bundled / "feed.yaml").write_text("generated_at: [\n", encoding="utf-8")
    empty = private(tmp_path / "empty")
    assert store.feed_summary(empty) == "feed: the bundled feed has no generated_at"


# Installs that replace the feed while a run reads it ----------------------------------------


def racing_installs(
    monkeypatch: pytest.MonkeyPatch, cache: Path, start: dt.datetime, times: int
) -> list[dt.datetime]:
    """Another vcaudit installs a newer feed each time this run is about to read the one its
    state named, `times` times (the real install, between reading the state and the file)."""
    installed: list[dt.datetime] = []
    read = store._installed

    def installing_meanwhile(cache_dir: Path, state: State) -> object:
        if len(installed) < times:
            installed.append(start + dt.timedelta(days=len(installed) + 1))
            install(cache, installed[-1])
        return read(cache_dir, state)

    monkeypatch.setattr(store, "_installed", installing_meanwhile)
    return installed


def test_a_feed_replaced_while_it_is_read_is_read_again(
    bundled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = private(tmp_path / "cache")
    start = bundled_at(bundled) + dt.timedelta(days=1)
    install(cache, start)
    installed = racing_installs(monkeypatch, cache, start, 2)
    found = store.feed_in_use(cache)
    assert found.origin == "installed"
    assert found.feed.info.generated_at == installed[-1]
    assert found.state == State.read(cache)


def test_a_feed_replaced_again_and_again_stops_the_run(
    bundled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = private(tmp_path / "cache")
    start = bundled_at(bundled) + dt.timedelta(days=1)
    install(cache, start)
    racing_installs(monkeypatch, cache, start, 3)
    with pytest.raises(FeedError) as caught:
        store.feed_in_use(cache)
    assert feed_error(caught) == (
        f"{cache / store.STATE_NAME}: the installed feed cannot be used: another vcaudit "
        "replaced it three times while this run read it",
        "try again when it has finished installing",
    )


def test_a_busy_cache_folder_is_not_tidied_and_not_waited_for(
    bundled: Path, tmp_path: Path
) -> None:
    import threading

    cache = private(tmp_path / "cache")
    (cache / ".state.json.x.tmp").write_bytes(b"x")
    held, release = threading.Event(), threading.Event()

    def another_install() -> None:
        with cachedir.locked(cache, wait=0):
            held.set()
            release.wait(10)

    other = threading.Thread(target=another_install)
    other.start()
    held.wait(10)
    threading.Timer(0.3, release.set).start()
    try:
        assert store.feed_in_use(cache).origin == "bundled"
        assert (cache / ".state.json.x.tmp").exists()  # left for a later run
    finally:
        release.set()
        other.join()


# The compiled copy: where it can and cannot be used ----------------------------------------


def test_a_compiled_copy_in_a_folder_others_can_write_is_never_read(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    store.feed_in_use(cache)
    (name,) = compiled_copies(cache)
    head, _, payload = (cache / name).read_bytes().partition(b"\n")
    doc = json.loads(payload)
    doc["info"]["publisher"] = "planted"
    planted = json.dumps(doc).encode()
    header = {**json.loads(head), "payload": hashlib.sha256(planted).hexdigest()}
    (cache / name).write_bytes(json.dumps(header).encode() + b"\n" + planted)
    cache.chmod(0o777)
    found = store.feed_in_use(cache, explicit=False)
    assert found.warnings
    assert found.feed.info.publisher != "planted"


def test_each_bundled_folder_has_its_own_compiled_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = private(tmp_path / "cache")
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(TEST_FEED_DIR, first)
    shutil.copytree(TEST_FEED_DIR, second)
    for folder in (first, second):
        monkeypatch.setattr(store, "bundled_feed_dir", lambda folder=folder: folder)
        feed = store.feed_in_use(cache).feed
        sources = {p.source.file for p in feed.products if p.source is not None}
        assert sources
        assert all(file.startswith(str(folder)) for file in sources), sources


def test_a_compiled_copy_that_cannot_be_written_is_no_error(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    expected = store.feed_in_use(cache).feed
    (name,) = compiled_copies(cache)
    (cache / name).unlink()
    (cache / name).mkdir()  # the copy's name is taken: it can be neither read nor written
    (cache / "bundled-0ld").mkdir()  # an old copy that cannot be removed
    assert store.feed_in_use(cache).feed == expected
    assert (cache / name).is_dir()
    assert (cache / "bundled-0ld").is_dir()


def test_a_bundled_folder_that_cannot_be_listed_is_read_as_it_is(
    bundled: Path, tmp_path: Path
) -> None:
    (bundled / "zz.yaml").mkdir()  # a product file that cannot be read
    with pytest.raises(FeedError) as caught:
        store.feed_in_use(private(tmp_path / "cache"))
    assert str(bundled) in str(caught.value)


def test_a_lock_that_cannot_be_taken_skips_tidying(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    (cache / cachedir.LOCK_NAME).mkdir()  # no lock file can be opened
    (cache / ".state.json.x.tmp").write_bytes(b"x")
    store.tidy(cache, wait=0)
    assert (cache / ".state.json.x.tmp").exists()
    assert store.feed_in_use(cache).origin == "bundled"


def test_tidying_removes_feed_json_once_the_named_file_exists(
    bundled: Path, tmp_path: Path
) -> None:
    cache = private(tmp_path / "cache")
    install(cache, bundled_at(bundled) + dt.timedelta(days=1))
    (cache / store.BUNDLE_NAME).write_bytes(b"x")  # left by vcaudit before 2027
    store.tidy(cache, wait=0)
    assert not (cache / store.BUNDLE_NAME).exists()


def test_tidying_looks_at_temporaries_not_what_they_point_to(tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    old = time.time() - 7200
    fresh = cache / "fresh.json"
    fresh.write_bytes(b"x")
    link = cache / ".bundled-link.json.x.tmp"
    link.symlink_to(fresh)
    dangling = cache / ".bundled-gone.json.x.tmp"
    dangling.symlink_to(cache / "gone")
    for path in (link, dangling):
        os.utime(path, (old, old), follow_symlinks=False)
    (cache / "notes.tmp").write_bytes(b"mine")
    os.utime(cache / "notes.tmp", (old, old))
    (cache / ".feed-dir.json.x.tmp").mkdir()  # cannot be unlinked: left, no error
    store.tidy(cache, wait=0)
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [".feed-dir.json.x.tmp", cachedir.LOCK_NAME, "fresh.json", "notes.tmp"]
    )


def test_a_raw_key_with_a_character_outside_base64_is_refused() -> None:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    text = base64.b64encode(raw).decode()
    store.load_public_key(text, "feed.pub")
    with pytest.raises(FeedError) as caught:
        store.load_public_key(text[:10] + "!" + text[10:], "feed.pub")
    assert str(caught.value).startswith("feed.pub: not an Ed25519 public key: ")


@pytest.mark.parametrize("name", [store.STATE_NAME, "feed"])
def test_a_folder_where_a_cache_file_belongs_is_one_error(
    bundled: Path, tmp_path: Path, name: str
) -> None:
    cache = private(tmp_path / "cache")
    if name == "feed":
        state = install(cache, bundled_at(bundled) + dt.timedelta(days=1))
        name = store.installed_name(state.sha256)
        (cache / name).unlink()
    (cache / name).mkdir()
    with pytest.raises(FeedError) as caught:
        store.feed_in_use(cache)
    assert feed_error(caught) == (
        f"{cache / name}: the installed feed cannot be used: is not a regular file",
        f"remove {cache / name}",
    )


def test_an_old_compiled_copy_that_cannot_be_removed_is_left(bundled: Path, tmp_path: Path) -> None:
    cache = private(tmp_path / "cache")
    (cache / "bundled-0ld").mkdir()
    expected = load_feed(bundled).products
    assert store.feed_in_use(cache).feed.products == expected
    assert len(compiled_copies(cache)) == 2
    assert (cache / "bundled-0ld").is_dir()


@pytest.mark.parametrize("damage", [b"garbage", b"", b"{}\n{}"])
def test_a_damaged_compiled_copy_is_rebuilt(bundled: Path, tmp_path: Path, damage: bytes) -> None:
    cache = private(tmp_path / "cache")
    expected = store.feed_in_use(cache).feed
    (name,) = compiled_copies(cache)
    good = (cache / name).read_bytes()
    (cache / name).write_bytes(damage)
    assert store.feed_in_use(cache).feed == expected
    assert (cache / name).read_bytes() == good
