"""Mutation testing of the modules whose bugs users would pay for, with mutmut.

    python tools/mutation.py                     # the core modules, report in bench/
    python tools/mutation.py --modules src/vcaudit/policy.py --budget 5

The project's tracked files are copied to a scratch folder (the checkout is never touched),
mutmut is configured there (source in src/, tests as in the checkout) and runs each mutant
against the tests that reach the mutated function, two at a time by default. The report
(bench/mutation-report.md) gives the score per module (killed / (killed + survived + no
tests); timeouts count as killed, as mutmut does) and every surviving mutant as a diff. A run
that reaches its budget (28 minutes by default) is stopped and reported as far as it got:
the whole core list takes longer than that on two cores (a mutant of feed/store.py runs the
hundreds of tests that load a feed, 10-20 s each), so run it in parts with --modules to
cover everything. Needs `pip install mutmut` (3.x); not part of .ci/run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = [
    "src/vcaudit/versioning.py",
    "src/vcaudit/matching.py",
    "src/vcaudit/policy.py",
    "src/vcaudit/inventory/identify.py",
    "src/vcaudit/sanitize.py",
    "src/vcaudit/output/csv.py",
    "src/vcaudit/feed/store.py",
    "src/vcaudit/files.py",
    "src/vcaudit/notify/changes.py",
    "src/vcaudit/output/sarif.py",
]
"""Versioning, matching, policy, identification, sanitising (and the CSV escaper), feed
verification and install, atomic files, change tracking, SARIF fingerprints."""

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
STATUS.update({34: "skipped", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout"})
STATUS.update({255: "timeout", 37: "killed"})


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    return [name for name in out.decode("utf-8").split("\0") if name]


def prepare(work: Path, modules: list[str]) -> None:
    """Copy the checkout's tracked files to `work` and configure mutmut there."""
    for name in tracked_files():
        source = ROOT / name
        if source.is_file():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    top = sorted({Path(name).parts[0] for name in tracked_files()} - {"src"})
    config = {
        "source_paths": ["src"],
        "only_mutate": modules,
        "also_copy": top,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x"],
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    with (work / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def run_mutmut(work: Path, children: int, budget: float) -> bool:
    """Run mutmut in `work`; False when the budget (seconds) ran out first."""
    mutmut = shutil.which("mutmut") or "mutmut"
    log = (work / "mutmut.log").open("wb")
    process = subprocess.Popen(
        [mutmut, "run", "--max-children", str(children)],
        cwd=work,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        process.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return False
    finally:
        log.close()
    return True


def results(work: Path) -> dict[str, dict[str, int | None]]:
    """Exit code of each mutant by module (None: not run)."""
    found: dict[str, dict[str, int | None]] = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(work / "mutants"))[: -len(".meta")]
        data = json.loads(meta.read_text(encoding="utf-8"))
        found[module] = dict(data.get("exit_code_by_key", {}))
    return found


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
wanted = json.load(sys.stdin)
json.dump({name: get_diff_for_mutant(name, path=path) for name, path in wanted}, sys.stdout)
"""


def changed_lines(work: Path, mutants: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The removed and added lines of each mutant (module, name), read in one process."""
    if not mutants:
        return {}
    shown = subprocess.run(
        [sys.executable, "-c", _DIFFS],
        cwd=work,
        input=json.dumps([(name, module) for module, name in mutants]),
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


def score(counts: Counter[str]) -> str:
    killed = counts["killed"] + counts["timeout"]
    judged = killed + counts["survived"] + counts["no tests"]
    return f"{100 * killed / judged:.1f}%" if judged else "n/a"


def report(
    work: Path, found: dict[str, dict[str, int | None]], complete: bool, seconds: float | None
) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Mutation testing of the core modules",
        "",
        f"mutmut over {len(found)} modules on {os.cpu_count()} cores, {when}"
        + (f", {seconds / 60:.0f} minutes" if seconds is not None else "")
        + ("." if complete else " (budget reached: mutants not run are listed as such)."),
        "Score: killed (timeouts included) / (killed + survived + no tests). "
        "Made by `python tools/mutation.py`.",
        "",
        "| module | mutants | killed | timeout | survived | no tests | not run | score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total: Counter[str] = Counter()
    survivors: list[tuple[str, str]] = []
    for module, codes in found.items():
        counts: Counter[str] = Counter()
        for name, code in codes.items():
            status = "not run" if code is None else STATUS.get(code, "suspicious")
            counts[status] += 1
            if status in ("survived", "no tests"):
                survivors.append((module, name))
        total.update(counts)
        lines.append(
            f"| {module} | {len(codes)} | {counts['killed']} | {counts['timeout']} | "
            f"{counts['survived']} | {counts['no tests']} | {counts['not run']} | "
            f"{score(counts)} |"
        )
    lines.append(
        f"| **all** | {sum(total.values())} | {total['killed']} | {total['timeout']} | "
        f"{total['survived']} | {total['no tests']} | {total['not run']} | "
        f"**{score(total)}** |"
    )
    lines += ["", "## Surviving mutants", ""]
    if not survivors:
        lines.append("None.")
    diffs = changed_lines(work, survivors)
    for module in found:
        names = [name for where, name in survivors if where == module]
        if not names:
            continue
        lines += [f"### {module} ({len(names)})", "", "```diff"]
        for name in names:
            status = STATUS.get(found[module][name] or 0, "")
            lines.append(f"# {name.rpartition('.')[2]} ({status})")
            lines += [line.rstrip() for line in diffs.get(name, [])]
        lines += ["```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="+", default=CORE, help="files under src/ to mutate")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--budget", type=float, default=28, help="minutes before stopping")
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "mutation-report.md")
    parser.add_argument("--workdir", type=Path, help="reuse or keep this scratch folder")
    parser.add_argument("--report-only", action="store_true", help="report on --workdir's run")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="vcaudit-mutation-"))
    start = time.monotonic()
    complete = True
    if not args.report_only:
        if (work / "mutants").exists():
            shutil.rmtree(work / "mutants")
        prepare(work, list(args.modules))
        complete = run_mutmut(work, args.children, args.budget * 60)
    found = results(work)
    if not found:
        print(f"mutmut wrote no results; see {work / 'mutmut.log'}", file=sys.stderr)
        return 1
    seconds = None if args.report_only else time.monotonic() - start
    text = report(work, found, complete, seconds)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text, encoding="utf-8")
    print(f"wrote {args.report} (scratch folder {work})")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
