"""Benchmarks for vcaudit: speed, memory and report size against a baseline measured in the
same run.

    python bench/run.py                 # 10k, 100k and 1M rows of every fleet (several minutes)
    python bench/run.py --sizes 1000000 --fleets old-zoom --repeat 1
    nice python bench/run.py --sizes 1000000 --repeat 2 --json results.json

The baseline is the same Python reading the same CSV with csv.reader and doing nothing else.
Each measurement runs in a fresh process (in the fleet's folder, given the file's relative
name as a user would); wall time is the best of --repeat runs, peak RSS is the child's maximum
resident set and CPU time its user and system time (os.wait4): on a machine shared with other
work, CPU time ratios say more than wall time ones. Ratios are printed against the baseline,
and the targets of bench/README.md are checked (on wall time): the script exits 1 when one is
missed, so speed is asserted here and never in the test suite.

Fleets (each in the raw forms real inventories produce):
- mixed: 21 clients of 11 products, a new host every three rows, a few hundred distinct
  versions, 15% personal devices, some unknown software and unplaceable versions;
- old-zoom: the same, but 85% of rows are Zoom 5.x clients for Windows that more than 100
  advisories each apply to (the report size is then a matter of layout);
- distinct-users: the mixed fleet with a user column, last, that differs on every row.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# Raw forms real inventories produce (shared/reference/inventory-formats.md): Windows
# DisplayNames and MSI versions, macOS bundle ids and "X.Y.Z (BUILD)", Linux package names.
CLIENTS = [
    (
        "windows",
        "Zoom Workplace (64-bit)",
        "Zoom",
        ["6.2.47507", "6.4.64384", "7.1.43453", "5.17.38121", "6.6.22255", "7.0.38856"],
    ),
    ("windows", "Zoom", "Zoom Video Communications, Inc.", ["5.12.2 (8964)", "5.16.10 (26186)"]),
    ("macos", "us.zoom.xos", "", ["5.16.10 (25689)", "6.0.2 (33403)", "7.1.0 (83064)"]),
    ("linux", "zoom", "", ["6.2.11.4905", "7.0.5.3034", "5.17.5.2543"]),
    (
        "windows",
        "Microsoft Teams",
        "Microsoft Corporation",
        ["25122.1415.3698.6812", "26225.1806.5074.1452", "24215.1007.3082.1590"],
    ),
    ("macos", "com.microsoft.teams2", "", ["25122.1207.3700.1444", "26120.3106.4725.800"]),
    ("windows", "Teams Machine-Wide Installer", "Microsoft Corporation", ["1.7.0.27855"]),
    ("windows", "Webex", "Cisco Systems, Inc", ["44.2.0.28714", "46.9.0.35800", "43.10.0.27605"]),
    ("macos", "Cisco-Systems.Spark", "", ["46.4.0.34620", "44.11.1.31236"]),
    ("windows", "Slack (Machine - MSI)", "Slack Technologies Inc.", ["4.41.98.0", "4.51.180.0"]),
    ("macos", "com.tinyspeck.slackmacgap", "", ["4.40.128", "4.51.180"]),
    ("linux", "slack-desktop", "", ["4.41.98", "4.51.180"]),
    ("windows", "Skype version 8.133", "Skype Technologies S.A.", ["8.133"]),
    ("linux", "skypeforlinux", "", ["8.65.0.78"]),
    ("windows", "GoToMeeting 10.19.0.19950", "LogMeIn", ["10.19.0.19950"]),
    ("windows", "Jitsi Meet 2026.6.0", "Jitsi Team", ["2026.6.0"]),
    ("macos", "im.riot.app", "", ["1.11.100", "1.12.27"]),
    ("linux", "element-desktop", "", ["1.12.26-1", "1:1.11.85-1"]),
    ("macos", "com.ringcentral.glip", "", ["26.2.10", "24.1.10"]),
    ("windows", "AnyMeeting Pro", "AnyMeeting", ["3.2.1"]),
    ("linux", "zoom", "", ["not-a-version"]),
]
# Zoom clients for Windows as their uninstall key names them, 2021-2022 releases: 109 to 126
# advisories of the bundled feed apply to each.
OLD_ZOOM = ["5.8.0 (1324)", "5.1.0 (25456)", "5.12.2 (8964)", "5.10.4 (5035)", "5.9.3 (2747)"]
HEADER = ["host", "platform", "product", "version", "publisher", "owner", "ownership"]


def _mixed(rng: random.Random) -> tuple[str, str, str, str]:
    platform, product, publisher, versions = rng.choice(CLIENTS)
    version = rng.choice(versions)
    if rng.random() < 0.1:  # patch-level variety: a few hundred distinct versions
        version = (
            version.replace(".", f".{rng.randint(0, 9)}", 1) if "(" not in version else version
        )
    return platform, product, version, publisher


def _old_zoom(rng: random.Random) -> tuple[str, str, str, str]:
    if rng.random() < 0.85:
        return "windows", "Zoom", rng.choice(OLD_ZOOM), "Zoom Video Communications, Inc."
    return _mixed(rng)


FLEETS: dict[str, tuple[Callable[[random.Random], tuple[str, str, str, str]], bool]] = {
    "mixed": (_mixed, False),
    "old-zoom": (_old_zoom, False),
    "distinct-users": (_mixed, True),
}
"""Fleet shape -> how a row's client is drawn, and whether every row has its own user."""


def generate(path: Path, rows: int, fleet: str = "mixed", seed: int = 7) -> None:
    """A synthetic fleet of `rows` installations: a new host every three rows."""
    draw, users = FLEETS[fleet]
    rng = random.Random(seed)  # noqa: S311 - a reproducible synthetic fleet, not a secret
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER + (["user"] if users else []))
        for index in range(rows):
            platform, product, version, publisher = draw(rng)
            row = [
                f"host-{index // 3:07d}",
                platform,
                product,
                version,
                publisher,
                rng.choice(["it-workplace", "collab@example.com", ""]),
                "personal" if rng.random() < 0.15 else "company",
            ]
            if users:
                row.append(f"user{index:07d}@example.com")
            writer.writerow(row)


BASELINE = (
    "import csv, sys\n"
    "with open(sys.argv[1], newline='', encoding='utf-8') as f:\n"
    "    for row in csv.reader(f):\n"
    "        pass\n"
)


def measure(argv: list[str], cwd: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    assert process.stderr is not None
    err = process.stderr.read().decode("utf-8", "replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}: {err.strip()[-500:]}")
    # Linux reports the peak in KiB.
    return elapsed, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def best(argv: list[str], repeat: int, cwd: Path | None = None) -> tuple[float, float, float]:
    """The best wall time and the best CPU time of `repeat` runs, and the highest peak RSS."""
    runs = [measure(argv, cwd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs)


FORMATS = {"table": 2.0, "json": 3.0, "jsonl": 3.0, "sarif": 2.0}
"""Format -> the most time it may take at 1M rows, as a multiple of the baseline."""
AIM = {"table": 1.5}
"""Where a format should be, below its target (printed, not enforced)."""
SIZE_TARGET = 3.0
"""JSON and JSON Lines reports at most this many times the input CSV's size."""
RSS_TARGET = 200.0
SARIF_RESULTS = 25_000
"""GitHub code scanning keeps at most this many results per run."""


def measure_fleet(
    folder: Path, fleet: str, size: int, repeat: int, failures: list[str]
) -> dict[str, object]:
    """Every format on one fleet of `size` rows, against the baseline of the same run."""
    python = sys.executable
    name = f"{fleet}-{size}.csv"
    path = folder / name
    generate(path, size, fleet)
    csv_bytes = path.stat().st_size
    base_t, base_rss, base_cpu = best([python, "-c", BASELINE, name], repeat, folder)
    line: dict[str, object] = {
        "fleet": fleet,
        "rows": size,
        "csv_mb": round(csv_bytes / 1e6, 1),
        "baseline_s": round(base_t, 3),
        "baseline_cpu_s": round(base_cpu, 3),
        "baseline_mb": round(base_rss),
    }
    print(
        f"\n{fleet} {size:>9,} rows ({csv_bytes / 1e6:,.0f} MB)  baseline csv.reader: "
        f"{base_t:6.2f} s (CPU {base_cpu:.2f} s) {base_rss:6.0f} MB"
    )
    for fmt, target in FORMATS.items():
        out = folder / f"out.{fmt}"
        argv = [python, "-m", "vcaudit", "scan", name, "--format", fmt, "--output", str(out)]
        seconds, rss, cpu = best([*argv, "--fail-on", "none"], repeat, folder)
        ratio = seconds / base_t
        line[f"{fmt}_s"] = round(seconds, 3)
        line[f"{fmt}_ratio"] = round(ratio, 2)
        line[f"{fmt}_cpu_ratio"] = round(cpu / base_cpu, 2)
        line[f"{fmt}_mb"] = round(rss)
        aim = f", aim {AIM[fmt]}x" if fmt in AIM else ""
        said = (
            f"{seconds:6.2f} s {rss:6.0f} MB   {ratio:5.2f}x baseline (target {target}x{aim}); "
            f"CPU {cpu:.2f} s, {cpu / base_cpu:.2f}x"
        )
        if fmt in ("json", "jsonl"):
            size_ratio = out.stat().st_size / csv_bytes
            line[f"{fmt}_out_mb"] = round(out.stat().st_size / 1e6, 1)
            line[f"{fmt}_size_ratio"] = round(size_ratio, 2)
            said += f"; {out.stat().st_size / 1e6:,.0f} MB, {size_ratio:.2f}x the CSV"
            if size >= 1_000_000 and size_ratio > SIZE_TARGET:
                failures.append(f"{fmt} on {fleet}: {size_ratio:.2f}x the CSV > {SIZE_TARGET}x")
        if fmt == "sarif":
            with out.open(encoding="utf-8") as handle:
                results = sum(len(run["results"]) for run in json.load(handle)["runs"])
            line["sarif_results"] = results
            said += f"; {results:,} results"
            if results > SARIF_RESULTS:
                failures.append(f"sarif on {fleet}: {results} results > {SARIF_RESULTS}")
        print(f"{'':>11}{fmt:<7} {said}")
        if size >= 1_000_000 and ratio > target:
            failures.append(f"{fmt} on {fleet} at {size} rows: {ratio:.2f}x baseline > {target}x")
        if rss > RSS_TARGET:
            failures.append(f"{fmt} on {fleet} at {size} rows: {rss:.0f} MB > {RSS_TARGET:.0f} MB")
        out.unlink()
    path.unlink()
    return line


def byte_compiled() -> Path:
    """vcaudit's modules byte-compiled, as `pip install` leaves an installed package: an
    editable install run with PYTHONDONTWRITEBYTECODE set (CI machines, containers) would
    otherwise compile every module again in every measured run (about 0.1 to 0.2 s of a
    scan here), which no installed copy does. Returns the package's folder."""
    import compileall

    import vcaudit

    folder = Path(vcaudit.__file__).parent
    compileall.compile_dir(folder, quiet=1)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--fleets", nargs="+", choices=list(FLEETS), default=list(FLEETS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    python = sys.executable
    vcaudit = [python, "-m", "vcaudit"]
    results: dict[str, object] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d"),
        "load_average": os.getloadavg()[0],
    }
    failures: list[str] = []
    print(f"byte-compiled {byte_compiled()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        startup = {
            "--version": best([*vcaudit, "--version"], max(3, args.repeat)),
            "--help": best([*vcaudit, "--help"], max(3, args.repeat)),
        }
        load = best(
            [
                python,
                "-c",
                "import time; t=time.perf_counter(); "
                "from vcaudit.feed.store import feed_in_use, environ_cache_dir; "
                "feed_in_use(environ_cache_dir(None)); "
                "print(time.perf_counter()-t)",
            ],
            3,
        )
        print(
            f"start-up: --version {startup['--version'][0] * 1000:.0f} ms, "
            f"--help {startup['--help'][0] * 1000:.0f} ms (target 150 ms); "
            f"load average {results['load_average']:.1f} on {os.cpu_count()} CPUs"
        )
        for name, (seconds, _rss, _cpu) in startup.items():
            if seconds > 0.150:
                failures.append(f"{name} took {seconds * 1000:.0f} ms")
        results["startup_ms"] = {k: round(v[0] * 1000) for k, v in startup.items()}
        rows_out = [
            measure_fleet(folder, fleet, size, args.repeat, failures)
            for fleet in args.fleets
            for size in args.sizes
        ]
        results["runs"] = rows_out
        results["feed_load_s"] = round(load[0], 3)
    for fleet in args.fleets:
        sizes = {r["rows"]: r for r in rows_out if r["fleet"] == fleet}
        if 100_000 in sizes and 1_000_000 in sizes:
            for fmt in FORMATS:
                growth = float(str(sizes[1_000_000][f"{fmt}_s"])) / float(
                    str(sizes[100_000][f"{fmt}_s"])
                )
                print(f"{fleet} {fmt}: 1M rows take {growth:.1f}x the time of 100k (linear: 10x)")
                if growth > 13:
                    failures.append(f"{fmt} on {fleet} is not linear: 1M/100k = {growth:.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
