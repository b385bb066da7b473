"""A corpus of hostile and broken inventories (tests/data/hostile): every file either parses
and comes out inert in every format, or stops with exit 3 and one line naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR
from tests.output.json_report import installation_rows
from vcaudit.cli import main
from vcaudit.output import OutputFormat

CORPUS = sorted((Path(__file__).parent.parent / "data" / "hostile").iterdir())
BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15", "--fail-on", "none"]
MUST_FAIL = {
    "nul.csv", "latin1.csv", "ragged.csv", "unterminated.csv", "no-header.csv", "empty.json",
    "deep.json", "truncated.json", "wrong-types.json", "numbers.json", "bool.jsonl",
    "array.jsonl", "bomb.yaml", "tags.yaml", "dup.yaml", "deep.yaml", "scalar.yaml",
}  # fmt: skip


def test_corpus_is_complete() -> None:
    assert {p.name for p in CORPUS} >= MUST_FAIL
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_hostile_file(capsys: pytest.CaptureFixture[str], path: Path, fmt: OutputFormat) -> None:
    code = main(["scan", str(path), *BASE, "--format", fmt.value])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if path.name in MUST_FAIL:
        assert code == 3, (code, err)
        assert out == ""
        lines = [line for line in err.splitlines() if not line.startswith("Tip: ")]
        assert len(lines) == 1
        assert lines[0].startswith(f"vcaudit: error: {path}")
        assert "\x1b" not in err
        return
    assert code == 0, err
    # GitHub Actions runs `::command::` at a line's start and the legacy `##[command]`
    # anywhere in a line (actions/runner ActionCommand.TryParse), JSON and SARIF included.
    for line in (out + err).splitlines():
        assert "##[" not in line, line
    if fmt is OutputFormat.JSON:
        json.loads(out)
        return
    if fmt is OutputFormat.JSONL:  # one JSON object a line: text escaped, never a line's start
        assert all(json.loads(line) for line in out.splitlines())
        return
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\u202e" not in out
    for line in out.splitlines():
        assert not line.lstrip().startswith("::"), line
        assert "::" not in line, line


def test_legacy_workflow_commands_keep_their_values_in_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # JSON and SARIF write the `[` after `#` as \u005b: readers get the values unchanged.
    path = Path(__file__).parent.parent / "data" / "hostile" / "legacy-workflow.csv"
    code = main(["scan", str(path), *BASE, "--format", "json"])
    out, _err = capsys.readouterr()
    assert code == 0
    assert "##[" not in out
    installations = installation_rows(json.loads(out))
    assert {i["host"] for i in installations} == {"pc-##[add-mask]secret", "#"}
    assert {i["version"] for i in installations} == {":::set-output::x", "#[debug]6.2.5"}


@pytest.mark.parametrize(
    ("args", "content"),
    [
        (["--columns", "host=##[add-mask]x"], "host,platform,product,version\n"),
        ([], "host,platform,product,version\n::error::a,##[error]b,c,1\n"),
        ([], "##[group]x,::warning::y\n1,2\n"),
    ],
)
def test_errors_on_stderr_carry_no_workflow_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], content: str
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(content, encoding="utf-8")
    code = main(["scan", str(path), *BASE, *args])
    out, err = capsys.readouterr()
    assert code == 3
    assert out == ""
    assert "Traceback" not in err
    for line in err.splitlines():
        assert "##[" not in line, line
        assert "::" not in line, line
