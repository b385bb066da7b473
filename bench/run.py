"""Benchmarks for vcaudit: speed and memory against a baseline measured in the same run.

    python bench/run.py                 # 10k, 100k and 1M rows (a few minutes)
    python bench/run.py --sizes 10000 100000 --repeat 1

The baseline is the same Python reading the same CSV with csv.reader and doing nothing else.
Each measurement runs in a fresh process; wall time is the best of --repeat runs, peak RSS
is the child's maximum resident set (os.wait4). Ratios are printed against the baseline, and
the targets of bench/README.md are checked: the script exits 1 when one is missed, so speed
is asserted here and never in the test suite.
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
HEADER = ["host", "platform", "product", "version", "publisher", "owner", "ownership"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A synthetic fleet of `rows` installations (a few hundred distinct versions)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible synthetic fleet, not a secret
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(rows):
            platform, product, publisher, versions = rng.choice(CLIENTS)
            version = rng.choice(versions)
            if rng.random() < 0.1:  # patch-level variety: a few hundred distinct versions
                version = (
                    version.replace(".", f".{rng.randint(0, 9)}", 1)
                    if "(" not in version
                    else version
                )
            writer.writerow(
                [
                    f"host-{index // 3:07d}",
                    platform,
                    product,
                    version,
                    publisher,
                    rng.choice(["it-workplace", "collab@example.com", ""]),
                    "personal" if rng.random() < 0.15 else "company",
                ]
            )


# Writing a file of the JSON report's size, in 1 MiB pieces of text, then syncing it and
# renaming it into place as vcaudit does: what any JSON writer pays for those bytes.
WRITE_FLOOR = (
    "import os, sys\n"
    "size, path = int(sys.argv[1]), sys.argv[2]\n"
    "piece = 'x' * (1 << 20)\n"
    "with open(path + '.tmp', 'w', encoding='utf-8') as f:\n"
    "    for _ in range(size >> 20):\n"
    "        f.write(piece)\n"
    "    f.write('x' * (size & ((1 << 20) - 1)))\n"
    "    f.flush()\n"
    "    os.fsync(f.fileno())\n"
    "os.replace(path + '.tmp', path)\n"
)

BASELINE = (
    "import csv, sys\n"
    "with open(sys.argv[1], newline='', encoding='utf-8') as f:\n"
    "    for row in csv.reader(f):\n"
    "        pass\n"
)


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    assert process.stderr is not None
    err = process.stderr.read().decode("utf-8", "replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}: {err.strip()[-500:]}")
    return elapsed, usage.ru_maxrss / 1024.0  # Linux reports KiB


def best(argv: list[str], repeat: int) -> tuple[float, float]:
    runs = [measure(argv) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    python = sys.executable
    vcaudit = [python, "-m", "vcaudit"]
    results: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    failures: list[str] = []
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
            f"--help {startup['--help'][0] * 1000:.0f} ms (target 150 ms)"
        )
        for name, (seconds, _rss) in startup.items():
            if seconds > 0.150:
                failures.append(f"{name} took {seconds * 1000:.0f} ms")
        results["startup_ms"] = {k: round(v[0] * 1000) for k, v in startup.items()}
        rows_out = []
        for size in args.sizes:
            fleet = folder / f"fleet-{size}.csv"
            generate(fleet, size)
            base_t, base_rss = best([python, "-c", BASELINE, str(fleet)], args.repeat)
            line = {"rows": size, "baseline_s": round(base_t, 3), "baseline_mb": round(base_rss)}
            print(f"\n{size:>9,} rows  baseline csv.reader: {base_t:6.2f} s {base_rss:6.0f} MB")
            for fmt, target in (("table", 2.0), ("json", 4.0), ("sarif", 3.0)):
                seconds, rss = best(
                    [
                        *vcaudit,
                        "scan",
                        str(fleet),
                        "--format",
                        fmt,
                        "--output",
                        str(folder / f"out.{fmt}"),
                        "--fail-on",
                        "none",
                    ],
                    args.repeat,
                )
                ratio = seconds / base_t
                line[f"{fmt}_s"] = round(seconds, 3)
                line[f"{fmt}_ratio"] = round(ratio, 2)
                line[f"{fmt}_mb"] = round(rss)
                print(
                    f"{'':>11}{fmt:<7} {seconds:6.2f} s {rss:6.0f} MB   "
                    f"{ratio:5.2f}x baseline (target {target}x, 200 MB)"
                )
                if fmt == "json":
                    report = folder / "out.json"
                    floor, _ = best(
                        [python, "-c", WRITE_FLOOR, str(report.stat().st_size), str(report)],
                        args.repeat,
                    )
                    line["json_mb_out"] = round(report.stat().st_size / 1e6)
                    line["json_write_floor_s"] = round(floor, 3)
                    print(
                        f"{'':>11}{'':<7} {floor:6.2f} s to write and sync its "
                        f"{report.stat().st_size / 1e6:,.0f} MB alone "
                        f"({floor / base_t:.2f}x baseline)"
                    )
                if size >= 1_000_000 and ratio > target:
                    failures.append(f"{fmt} at {size} rows: {ratio:.2f}x baseline > {target}x")
                if rss > 200:
                    failures.append(f"{fmt} at {size} rows: {rss:.0f} MB > 200 MB")
            rows_out.append(line)
        results["runs"] = rows_out
        results["feed_load_s"] = round(load[0], 3)
    sizes = {r["rows"]: r for r in rows_out}
    if 100_000 in sizes and 1_000_000 in sizes:
        for fmt in ("table", "json", "sarif"):
            growth = sizes[1_000_000][f"{fmt}_s"] / sizes[100_000][f"{fmt}_s"]
            print(f"{fmt}: 1M rows take {growth:.1f}x the time of 100k (linear: about 10x)")
            if growth > 13:
                failures.append(f"{fmt} is not linear: 1M/100k = {growth:.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
