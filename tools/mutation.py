"""Mutation testing of the modules whose bugs users would pay for, with mutmut.

    python tools/mutation.py                     # the ten core modules, report in bench/
    python tools/mutation.py --modules src/vcaudit/policy.py --report /tmp/policy.md
    python tools/mutation.py --commit HEAD       # the committed tree, not the working one

Each module is mutated on its own, in its own scratch copy of the project (the checkout is
never touched), and its mutants run against the tests that state that module's behaviour
(TESTS below), not against every test that happens to reach it: a mutant of code every scan
reaches would otherwise run hundreds of command-line tests, 10-20 s each. Within that set,
mutmut still runs for each mutant only the tests that reach the mutated function, fastest
first, two mutants at a time by default. Tests that start `vcaudit` in a subprocess run the
installed code, never the mutant, so they are skipped at the moment they would start it.

The report (bench/mutation-report.md) gives, per module, the score (killed / (killed +
survived + no tests), timeouts counted as killed as mutmut does, equivalent mutants set
aside), the time taken, the tests run, the equivalent mutants with the reason each cannot
change what vcaudit does (EQUIVALENT below), and every surviving mutant as a diff. A section
`## Notes` at the end of an existing report is kept when the report is written again.

The whole list fits in 30 minutes on two cores; --budget stops a longer run and reports what
was done. Modules run in the same --workdir accumulate: run them in parts with --modules and
write one report with --report-only. Needs `pip install mutmut` (3.x); not part of .ci/run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

TESTS: dict[str, tuple[str, ...]] = {
    "src/vcaudit/versioning.py": (
        "tests/test_versioning*.py",
        "tests/test_matching*.py",
        "tests/test_policy_versionspec.py",
        "tests/feed/test_zoom_builds.py",
    ),
    "src/vcaudit/matching.py": (
        "tests/test_matching*.py",
        "tests/test_review.py",
        "tests/feed/test_feed_real.py",
        "tests/feed/test_feed_webex_nvd.py",
        "tests/feed/test_zoom_builds.py",
    ),
    "src/vcaudit/policy.py": (
        "tests/test_policy*.py",
        "tests/test_data_protection*.py",
        "tests/test_ignore_until.py",
        "tests/test_advice.py",
        "tests/test_review.py",
        "tests/cli/test_exit_codes.py",
    ),
    "src/vcaudit/inventory/identify.py": (
        "tests/inventory/test_identify*.py",
        "tests/inventory/test_exports_real.py",
        "tests/inventory/test_discover.py",
    ),
    "src/vcaudit/sanitize.py": (
        "tests/test_sanitize*.py",
        "tests/output/test_hostile.py",
        "tests/output/test_csv*.py",
    ),
    "src/vcaudit/output/csv.py": (
        "tests/output/test_csv*.py",
        "tests/output/test_hostile.py",
        "tests/output/test_formats.py",
    ),
    "src/vcaudit/feed/store.py": (
        "tests/feed/test_store*.py",
        "tests/feed/test_feed_signature.py",
        "tests/feed/test_feed_import_signed.py",
        "tests/feed/test_feed_trust.py",
    ),
    "src/vcaudit/files.py": (
        "tests/test_files*.py",
        "tests/cli/test_exit_codes.py",
    ),
    "src/vcaudit/notify/changes.py": (
        "tests/notify/test_changes*.py",
        "tests/notify/test_state*.py",
        "tests/notify/test_notify.py",
        "tests/notify/test_notify_faults.py",
    ),
    "src/vcaudit/output/sarif.py": (
        "tests/output/test_sarif*.py",
        "tests/output/test_formats.py",
    ),
}
"""The core modules (versioning, matching, policy, identification, sanitising and the CSV
escaper, feed verification and install, atomic files, change tracking, SARIF fingerprints),
each with the tests that state its behaviour (globs, from the project's root)."""

EQUIVALENT: dict[str, tuple[str, ...]] = {
    # versioning.py
    "an anchored pattern (`^...` or `...$`) matches at most once: count=1, count=2 and no "
    "count replace the same": (
        "versioning.x__strip_packaging__mutmut_19",
        "versioning.x__strip_packaging__mutmut_21",
        "versioning.x__strip_packaging__mutmut_27",
        "versioning.x__strip_packaging__mutmut_29",
    ),
    "lstrip takes a set of characters: 'XX0XX' strips the same zeros from a string of digits": (
        "versioning.x__build_key__mutmut_4",
    ),
    # matching.py
    "a cache bypassed or never filled: the same answer, computed again": (
        "matching.xǁMatcherǁ_prepare__mutmut_1",
        "matching.xǁMatcherǁ_prepare__mutmut_2",
        "matching.xǁMatcherǁ_prepare__mutmut_6",
        "matching.xǁMatcherǁ_ladder__mutmut_2",
        "matching.xǁMatcherǁ_ladder__mutmut_3",
        "matching.x__feed_version__mutmut_2",
        "matching.x__feed_version__mutmut_3",
        "matching.x__feed_version__mutmut_12",
    ),
    "the fix of an affected version: no release equal to it is clean, so `inclusive` changes "
    "nothing (and None is false)": (
        "matching.xǁMatcherǁ_match__mutmut_115",
        "matching.xǁMatcherǁ_match__mutmut_118",
    ),
    "the fixed version `_applies` returns with a range that does not apply is never read": (
        "matching.x__applies__mutmut_10",
    ),
    "only `ends_after is False` is tested: None and True take the same way": (
        "matching.x__may_affect_after__mutmut_27",
    ),
    "holds=False is Upgrade's default": ("matching.xǁ_Ladderǁ_from__mutmut_73",),
    # policy.py
    "_due does not read `today`: the due date is the start plus the SLA days": (
        "policy.x_assess__mutmut_74",
    ),
    "an outdated client's advice names the latest as `to`, and `also_clean` and `or_later` "
    "read the same whether `smallest` is the latest or empty": ("policy.x__upgrade__mutmut_10",),
    "a client below the minimum is unsupported unless vulnerable or end of life, which are "
    "handled first: `and` and `or` take the same branch": ("policy.x__due__mutmut_12",),
    "under --strict an unknown row makes the second call true, which makes the answer false "
    "whatever the first one says": ("policy.x_fails_for_review_only__mutmut_4",),
    # inventory/identify.py
    "exclusion rules are only matched by name: their product, platforms and `only` are never "
    "read (None is false, as False)": (
        "inventory.identify.xǁIdentifierǁ__init____mutmut_58",
        "inventory.identify.xǁIdentifierǁ__init____mutmut_73",
        "inventory.identify.xǁIdentifierǁ__init____mutmut_76",
        "inventory.identify.xǁIdentifierǁ__init____mutmut_78",
        "inventory.identify.x__rule__mutmut_1",
    ),
    "a cache bypassed: the same answer, and helpers are counted on every call either way": (
        "inventory.identify.xǁIdentifierǁrelevant__mutmut_3",
        "inventory.identify.xǁIdentifierǁrelevant__mutmut_4",
    ),
    "whether a name is claimed does not depend on the publisher (only the claim's "
    "precedence does), and a publisher of None counts as none": (
        "inventory.identify.xǁIdentifierǁ_decide_relevant__mutmut_21",
        "inventory.identify.xǁIdentifierǁplatform_of__mutmut_8",
    ),
    "exact claims are only tested for being there": (
        "inventory.identify.xǁIdentifierǁ_exact_claims__mutmut_1",
        "inventory.identify.xǁIdentifierǁ_exact_claims__mutmut_2",
        "inventory.identify.xǁIdentifierǁ_exact_claims__mutmut_3",
        "inventory.identify.xǁIdentifierǁ_exact_claims__mutmut_4",
        "inventory.identify.xǁIdentifierǁ_exact_claims__mutmut_8",
    ),
    "the precedence of an exact claim is 0: base + 0 and base - 0 are the same": (
        "inventory.identify.xǁIdentifierǁ_claims__mutmut_24",
    ),
    "only Windows rules apply elsewhere with a note, and they name one platform: the "
    "separator is never written": ("inventory.identify.xǁIdentifierǁ_claims__mutmut_81",),
    "every product has an entry in the exclusions, so the default of get() is never used": (
        "inventory.identify.xǁIdentifierǁ_excluded__mutmut_7",
        "inventory.identify.xǁIdentifierǁ_excluded__mutmut_9",
    ),
    "get_close_matches lists the best match first: n=1, 2 or 3 and its default cutoff (0.6) "
    "give the same first one": (
        "inventory.identify.xǁIdentifierǁ_closest__mutmut_12",
        "inventory.identify.xǁIdentifierǁ_closest__mutmut_13",
        "inventory.identify.xǁIdentifierǁ_closest__mutmut_14",
    ),
    "'XXaeiouXX' holds no other lower-case letter, and the article only reads one": (
        "inventory.identify.x__article__mutmut_7",
    ),
    "a product without a version shape fits every version, so it is never listed among those "
    "that a version fits none of": (
        "inventory.identify.x__misfit__mutmut_7",
        "inventory.identify.x__misfit__mutmut_8",
    ),
    # notify/changes.py
    "a row without a feed product never has a risk above none, so it never reaches this line": (
        "notify.changes.x_open_entries__mutmut_8",
    ),
    "POSIX has O_NONBLOCK: the default of getattr is never used": (
        "notify.changes.x__read_bytes__mutmut_9",
        "notify.changes.x__read_bytes__mutmut_12",
        "notify.changes.x__read_bytes__mutmut_15",
    ),
    "reading the whole state, or two bytes past the limit, gives the same answer (only more "
    "memory)": (
        "notify.changes.x__read_bytes__mutmut_40",
        "notify.changes.x__read_bytes__mutmut_42",
    ),
    "a codec's name is read without regard to case, here too": (
        "notify.changes.x__text__mutmut_5",
        "notify.changes.x_load_state__mutmut_14",
        "notify.changes.x__document__mutmut_27",
    ),
    "json.dumps writes ASCII (every other character as an escape): the error handler of the "
    "encoding is never used": (
        "notify.changes.x__document__mutmut_18",
        "notify.changes.x__document__mutmut_28",
        "notify.changes.x__document__mutmut_29",
    ),
    "_when's value is already known to be text of a date, so _text never names the field": (
        "notify.changes.x__when__mutmut_5",
    ),
    # sanitize.py
    "no character from U+00A0 to U+061B is escaped, so U+0100 is never escaped: `< 0x100`, "
    "`<= 0x100` and `< 257` choose the same form": (
        "sanitize.x__escape__mutmut_5",
        "sanitize.x__escape__mutmut_6",
    ),
    "replacing `#[` in a text without it changes nothing": ("sanitize.x_json_safe__mutmut_2",),
    # feed/store.py
    "a codec's name is read without regard to case": (
        "feed.store.xǁStateǁread__mutmut_18",
        "feed.store.x_load_feed_info__mutmut_8",
        "files.x_atomic_write__mutmut_6",
    ),
    "encoding=None reads with the locale's encoding, UTF-8 on every system vcaudit is tested on": (
        "feed.store.x_load_feed_info__mutmut_3",
    ),
    "a blank checksum file gives '', and 'XXXX' is no checksum either: the same refusal": (
        "feed.store.x_parse_checksum__mutmut_5",
    ),
    "_Missing is caught inside the store: its message is never shown": (
        "feed.store.xǁ_Missingǁ__init____mutmut_1",
        "feed.store.xǁ_Missingǁ__init____mutmut_2",
    ),
    "without the cache the cache folder is not read, and None is false": (
        "feed.store.x_feed_in_use__mutmut_13",
        "feed.store.x_feed_in_use__mutmut_14",
    ),
    "the folder's label in the compiled copy's digest only has to be the same in every run": (
        "feed.store.x__bundled_compiled__mutmut_11",
        "feed.store.x__bundled_compiled__mutmut_12",
    ),
    "creating or writing a cache file raises ValueError only for a path with a NUL byte, which "
    "neither the command line nor the environment can carry": (
        "feed.store.x__bundled_compiled__mutmut_49",
        "feed.store.x__bundled_compiled__mutmut_51",
    ),
    "None is false, as False": (
        "feed.store.x__tidy_locked__mutmut_6",
        "feed.store.x__tidy_locked__mutmut_23",
    ),
    "a temporary exactly 3600 s old, to the float, cannot be made": (
        "feed.store.x__tidy_locked__mutmut_25",
    ),
    # files.py
    "the umask is read and put back at once: the value set in between is never used": (
        "files.x__mode_for__mutmut_5",
    ),
    "the kind of an identity is only compared with other identities: any distinct labels do": (
        "files.x__identity__mutmut_3",
        "files.x__identity__mutmut_4",
        "files.x_check_outputs__mutmut_13",
        "files.x_check_outputs__mutmut_14",
    ),
    "str(Path('-')) is '-': the shown name is the same either way": (
        "files.x_check_outputs__mutmut_7",
    ),
    "POSIX has O_NONBLOCK and no O_BINARY: the defaults of these getattr calls are never used": (
        "files.x_read_regular__mutmut_6",
        "files.x_read_regular__mutmut_9",
        "files.x_read_regular__mutmut_12",
        "files.x_read_regular__mutmut_13",
        "files.x_read_regular__mutmut_19",
        "files.x_read_regular__mutmut_20",
    ),
    "fstat of a descriptor just opened does not fail: that branch is never taken": (
        "files.x_read_regular__mutmut_29",
    ),
    "reading the whole regular file, or two bytes past the limit, gives the same answer (only "
    "more memory)": (
        "files.x_read_regular__mutmut_50",
        "files.x_read_regular__mutmut_52",
    ),
    # output/csv.py
    "CRLF is the csv module's default line end": ("output.csv.x_write__mutmut_8",),
    "terminal_safe's limit is only tested for truth: None cuts nothing, as 0": (
        "output.csv.x_write__mutmut_37",
    ),
    # output/sarif.py
    "a limit of None cuts nothing, as 0": (
        "output.sarif.x__reference__mutmut_5",
        "output.sarif.x__review_rule__mutmut_39",
        "output.sarif.x__advisory_rule__mutmut_40",
        "output.sarif.x_document__mutmut_85",
    ),
    "a known-exploited advisory scores at least 9.5: a missing CVSS score of 0.0 or 1.0 is "
    "never the maximum": ("output.sarif.x__advisory_score__mutmut_7",),
    "a codec's name is read without regard to case, in SARIF too": (
        "output.sarif.x__fingerprint__mutmut_6",
    ),
    "a cache bypassed: the same hosts, counted again": (
        "output.sarif.x__hosts__mutmut_4",
        "output.sarif.x__hosts__mutmut_5",
    ),
    "the union of one group's hosts is its hosts": ("output.sarif.x__hosts__mutmut_9",),
    "document always passes the root: the default is never used": (
        "output.sarif.x__result__mutmut_1",
    ),
    "_text's own default limit is MAX_TEXT: passing it or not is the same": (
        "output.sarif.x__result__mutmut_43",
    ),
    "rows without a feed product give no result, and every group keeps its first row: these "
    "fallbacks are never taken": (
        "output.sarif.x__result__mutmut_66",
        "output.sarif.x__result__mutmut_67",
        "output.sarif.x__result__mutmut_80",
        "output.sarif.x__result__mutmut_81",
        "output.sarif.x__result__mutmut_109",
        "output.sarif.x__result__mutmut_110",
    ),
    "ensure_ascii=True is json.dumps' default": ("output.sarif.x_render__mutmut_8",),
}
"""Mutants that cannot change what vcaudit does, by the reason why: fnmatch patterns of
mutmut's names without the leading `vcaudit.`. They are set aside from the score and listed in
the report. A mutant's number changes when its function does: check them after a change."""

_PLUGIN = '''
"""Skips a test at the moment it starts `vcaudit` in a subprocess, and fails one that hangs
(see tools/mutation.py)."""
import os
import signal
import subprocess
import sys

import pytest

HANG = 60
"""Seconds after which a test of a mutant is failed: a mutant that blocks (an open() of a FIFO
without O_NONBLOCK) uses no CPU time, which is all mutmut's own timeout counts."""


def _hung(signum, frame):
    raise TimeoutError(f"the test ran {HANG} s: the mutant hangs it")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(HANG)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

_init = subprocess.Popen.__init__


def _vcaudit(args):
    argv = [str(a) for a in args] if isinstance(args, (list, tuple)) else [str(args)]
    if argv[:3] == [sys.executable, "-m", "vcaudit"]:
        return True
    return bool(argv) and os.path.basename(argv[0]) in ("vcaudit", "vcaudit.exe")


def _popen(self, args, *rest, **options):
    if _vcaudit(args):
        pytest.skip("runs vcaudit in a subprocess, which never sees the mutant")
    _init(self, args, *rest, **options)


subprocess.Popen.__init__ = _popen
_FAILURES = os.environ.get("VCAUDIT_MUTATION_FAILURES")


def pytest_runtest_logreport(report):
    if _FAILURES and report.failed:
        with open(_FAILURES, "a", encoding="utf-8") as handle:
            handle.write(report.nodeid + "\\n")
'''


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def tracked_files() -> list[str]:
    return [name for name in git("ls-files", "-z").split("\0") if name]


def describe_tree(commit: str | None) -> str:
    """The commit a run used, and whether the working tree differed from it."""
    if commit is not None:
        return f"commit {git('rev-parse', '--short', commit)}"
    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"the working tree of commit {head}" + (" (with uncommitted changes)" if dirty else "")


def copy_tree(work: Path, commit: str | None) -> None:
    """The project's tracked files, from the working tree or from `commit`."""
    if commit is not None:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit], cwd=ROOT, check=True, capture_output=True
        ).stdout
        with tempfile.TemporaryFile() as handle:
            handle.write(archive)
            handle.seek(0)
            with tarfile.open(fileobj=handle) as tar:
                tar.extractall(work, filter="data")
        return
    for name in tracked_files():
        source = ROOT / name
        if source.is_file():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def slug(module: str) -> str:
    return module.removeprefix("src/vcaudit/").removesuffix(".py").replace("/", ".")


def selected_tests(work: Path, module: str) -> list[str]:
    """The test files of `module` that exist in the copied tree."""
    found: set[str] = set()
    for pattern in TESTS.get(module, ("tests",)):
        found.update(str(p.relative_to(work)) for p in work.glob(pattern))
    return sorted(found)


def failing(work: Path, tests: list[str]) -> list[str]:
    """The tests of `tests` that fail without any mutant (mutmut needs a green run)."""
    record = work / "failing.txt"
    record.unlink(missing_ok=True)
    environment = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(work / "src"), str(work / ".plugins")]),
        VCAUDIT_MUTATION_FAILURES=str(record),
    )
    options = ["-p", "no:cacheprovider", "-p", "no:randomly", "-p", "vcaudit_mutation_skips"]
    subprocess.run(
        ["nice", "-n", "10", sys.executable, "-m", "pytest", "-q", *options, *tests],
        cwd=work,
        env=environment,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    if not record.exists():
        return []
    return sorted(set(record.read_text(encoding="utf-8").split()))


def prepare(work: Path, module: str, commit: str | None) -> tuple[list[str], list[str]]:
    """A scratch copy in `work` configured to mutate `module`; returns its tests, and those
    of them that fail without any mutant (left out)."""
    copy_tree(work, commit)
    plugins = work / ".plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "vcaudit_mutation_skips.py").write_text(_PLUGIN.lstrip(), encoding="utf-8")
    tests = selected_tests(work, module)
    broken = failing(work, tests)
    skip = {"src", "mutants", ".plugins"}
    top = sorted({Path(name).parts[0] for name in os.listdir(work)} - skip)
    config = {
        "source_paths": ["src"],
        "only_mutate": [module],
        "also_copy": top,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "vcaudit_mutation_skips"],
        "pytest_add_cli_args_test_selection": [
            *tests,
            *(f"--deselect={node}" for node in broken),
        ],
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    with (work / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return tests, broken


def run_mutmut(work: Path, children: int, budget: float) -> str:
    """Run mutmut in `work`: "complete", "stopped" (the budget, in seconds, ran out first) or
    "failed" (see mutmut.log: the tests fail without any mutant, for one)."""
    mutmut = shutil.which("mutmut") or "mutmut"
    environment = dict(os.environ, PYTHONPATH=str(work / ".plugins"))
    log = (work / "mutmut.log").open("wb")
    process = subprocess.Popen(
        ["nice", "-n", "10", mutmut, "run", "--max-children", str(children)],
        cwd=work,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        process.wait(timeout=max(budget, 1))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return "stopped"
    finally:
        log.close()
    return "complete" if process.returncode == 0 else "failed"


def run_module(work: Path, module: str, args: argparse.Namespace, budget: float) -> None:
    """Mutate one module in its own folder under `work`, and record how it went."""
    folder = work / slug(module)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    start = time.monotonic()
    tests, broken = prepare(folder, module, args.commit)
    print(f"{module}: {len(tests)} test files, up to {budget / 60:.0f} minutes", flush=True)
    for node in broken:
        print(f"{module}: left out, fails without any mutant: {node}", file=sys.stderr)
    outcome = run_mutmut(folder, args.children, budget)
    record = {
        "module": module,
        "tests": tests,
        "failing": broken,
        "seconds": time.monotonic() - start,
        "outcome": outcome,
        "tree": describe_tree(args.commit),
        "finished": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    (folder / "run.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    if outcome == "failed":
        print(f"{module}: mutmut failed, see {folder / 'mutmut.log'}", file=sys.stderr)


def results(folder: Path) -> dict[str, int | None]:
    """Exit code of each mutant of the module run in `folder` (None: not run)."""
    found: dict[str, int | None] = {}
    for meta in sorted((folder / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        found.update(data.get("exit_code_by_key", {}))
    return found


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
wanted = json.load(sys.stdin)
json.dump({name: get_diff_for_mutant(name, path=path) for name, path in wanted}, sys.stdout)
"""


def changed_lines(folder: Path, module: str, names: list[str]) -> dict[str, list[str]]:
    """The removed and added lines of each mutant of `module`, read in one process."""
    if not names:
        return {}
    shown = subprocess.run(
        [sys.executable, "-c", _DIFFS],
        cwd=folder,
        input=json.dumps([(name, module) for name in names]),
        capture_output=True,
        text=True,
        check=True,
    )
    diffs: dict[str, str] = json.loads(shown.stdout)
    return {
        name: [
            line
            for line in diff.splitlines()
            if line[:1] in "-+" and not line.startswith(("---", "+++"))
        ]
        for name, diff in diffs.items()
    }


def status(code: int | None) -> str:
    if code is None:
        return "not run"
    from mutmut.stats import status_by_exit_code

    found = status_by_exit_code[code]
    return "killed" if found == "caught by type check" else found


def equivalent(name: str) -> str | None:
    """Why the mutant `name` is equivalent, or None."""
    short = name.removeprefix("vcaudit.")
    for reason, patterns in EQUIVALENT.items():
        if any(fnmatch.fnmatchcase(short, pattern) for pattern in patterns):
            return reason
    return None


def score(counts: Counter[str]) -> str:
    killed = counts["killed"] + counts["timeout"]
    judged = killed + counts["survived"] + counts["no tests"]
    # Rounded down: one survivor in thousands shows as 99.9%, never as 100.0%.
    return f"{math.floor(1000 * killed / judged) / 10:.1f}%" if judged else "n/a"


COLUMNS = ("killed", "timeout", "survived", "no tests", "equivalent", "not run")


def report(work: Path, modules: list[str], notes: str) -> str:
    runs = []
    for module in modules:
        folder = work / slug(module)
        record_file = folder / "run.json"
        if record_file.exists():
            runs.append((module, folder, json.loads(record_file.read_text(encoding="utf-8"))))
    trees = sorted({record["tree"] for _, _, record in runs})
    finished = max((record["finished"] for _, _, record in runs), default="-")
    minutes = sum(record["seconds"] for _, _, record in runs) / 60
    lines = [
        "# Mutation testing of the core modules",
        "",
        f"Made by `python tools/mutation.py` (mutmut) on {os.cpu_count()} cores, on "
        f"{' and '.join(trees) or '-'}; finished {finished}, {minutes:.0f} minutes of mutation "
        "runs in all.",
        "Score: killed (timeouts included) / (killed + survived + no tests); equivalent mutants "
        "(below, with the reason) are set aside. Each module's mutants run against the tests "
        "that state its behaviour (listed below); tests that start `vcaudit` in a subprocess "
        "are skipped (they never see the mutant).",
        "",
        "| module | mutants | killed | timeout | survived | no tests | equivalent | not run "
        "| score | minutes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total: Counter[str] = Counter()
    survivors: dict[str, list[str]] = {}
    equivalents: dict[str, dict[str, list[str]]] = {}
    found_by_module: dict[str, dict[str, int | None]] = {}
    for module, folder, record in runs:
        found = results(folder)
        found_by_module[module] = found
        counts: Counter[str] = Counter()
        for name, code in found.items():
            state = status(code)
            reason = equivalent(name) if state in ("survived", "no tests") else None
            if reason is not None:
                state = "equivalent"
                equivalents.setdefault(module, {}).setdefault(reason, []).append(name)
            elif state in ("survived", "no tests"):
                survivors.setdefault(module, []).append(name)
            counts[state] += 1
        total.update(counts)
        cells = " | ".join(str(counts[column]) for column in COLUMNS)
        stopped = "" if record["outcome"] == "complete" else f" ({record['outcome']})"
        lines.append(
            f"| {module} | {len(found)} | {cells} | {score(counts)} | "
            f"{record['seconds'] / 60:.1f}{stopped} |"
        )
    cells = " | ".join(str(total[column]) for column in COLUMNS)
    lines.append(
        f"| **all** | {sum(total.values())} | {cells} | **{score(total)}** | {minutes:.1f} |"
    )
    lines += ["", "## Tests run per module", ""]
    for module, _, record in runs:
        lines.append(f"- {module}: {', '.join(record['tests'])}")
        if record["failing"]:
            failing_tests = ", ".join(record["failing"])
            lines.append(f"  (left out, as they fail without any mutant: {failing_tests})")
    lines += ["", "## Equivalent mutants", ""]
    if not equivalents:
        lines.append("None.")
    for module, reasons in equivalents.items():
        lines += [f"### {module}", ""]
        for reason, names in reasons.items():
            short = ", ".join(name.rpartition(".")[2] for name in names)
            lines.append(f"- {reason} ({short})")
        lines.append("")
    stale = stale_equivalents(runs, found_by_module)
    if stale:
        lines.append(
            "Listed as equivalent but not surviving (killed now, or numbered anew after a "
            f"change: check them in tools/mutation.py): {', '.join(stale)}."
        )
    lines += ["", "## Surviving mutants", ""]
    if not survivors:
        lines.append("None.")
    for module, folder, _ in runs:
        names = survivors.get(module, [])
        if not names:
            continue
        diffs = changed_lines(folder, module, names)
        lines += [f"### {module} ({len(names)})", "", "```diff"]
        for name in names:
            lines.append(f"# {name.rpartition('.')[2]} ({status(found_by_module[module][name])})")
            lines += [line.rstrip() for line in diffs.get(name, [])]
        lines += ["```", ""]
    text = "\n".join(lines).rstrip() + "\n"
    return text + ("\n" + notes if notes else "")


def stale_equivalents(
    runs: list[tuple[str, Path, dict[str, Any]]], found: dict[str, dict[str, int | None]]
) -> list[str]:
    """EQUIVALENT entries of the modules run that match no surviving mutant."""
    surviving = {
        name.removeprefix("vcaudit.")
        for module, codes in found.items()
        for name, code in codes.items()
        if status(code) in ("survived", "no tests")
    }
    run = {slug(module) for module, _, _ in runs}
    return [
        pattern
        for patterns in EQUIVALENT.values()
        for pattern in patterns
        if pattern.split(".x", 1)[0] in run
        and not any(fnmatch.fnmatchcase(name, pattern) for name in surviving)
    ]


def kept_notes(path: Path) -> str:
    """The `## Notes` section (to the end) of an existing report, written by hand."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    start = text.find("\n## Notes\n")
    return text[start + 1 :] if start >= 0 else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="+", default=list(TESTS), help="files to mutate")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--budget", type=float, default=30, help="minutes before stopping")
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "mutation-report.md")
    parser.add_argument("--workdir", type=Path, help="reuse or keep this scratch folder")
    parser.add_argument("--commit", help="mutate this commit's tree (default: the working tree)")
    parser.add_argument(
        "--report-only", action="store_true", help="report on the modules run in --workdir"
    )
    args = parser.parse_args(argv)
    if args.commit is not None:
        # One tree for the whole run, even if the branch moves meanwhile.
        args.commit = git("rev-parse", "--verify", f"{args.commit}^{{commit}}")
    work: Path = args.workdir or Path(tempfile.mkdtemp(prefix="vcaudit-mutation-"))
    work.mkdir(parents=True, exist_ok=True)
    modules = [module for module in TESTS if module in args.modules]
    modules += [module for module in args.modules if module not in TESTS]
    if not args.report_only:
        deadline = time.monotonic() + args.budget * 60
        for module in modules:
            left = deadline - time.monotonic()
            if left <= 0:
                print(f"{module}: not run, the budget is spent", file=sys.stderr)
                continue
            run_module(work, module, args, left)
    if args.report_only:
        modules = [module for module in TESTS if (work / slug(module) / "run.json").exists()]
    if not any((work / slug(module) / "run.json").exists() for module in modules):
        print(f"mutmut wrote no results in {work}", file=sys.stderr)
        return 1
    text = report(work, modules, kept_notes(args.report))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text, encoding="utf-8")
    print(f"wrote {args.report} (scratch folder {work})")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
