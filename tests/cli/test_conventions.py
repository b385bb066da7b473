"""Command-line conventions: one error style, --debug anywhere, completion, usage text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TEST_FEED_DIR
from vcaudit.cli import main

BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "message", "usage"),
    [
        (["scan", "--bogus"], "No such option", "Usage: vcaudit scan [OPTIONS]"),
        (
            ["scan", "x.csv", "--format", "nope"],
            "Invalid value for '--format' / '-f': 'nope' is not one of",
            "Usage: vcaudit scan [OPTIONS]",
        ),
        (["--nope"], "No such option", "Usage: vcaudit [OPTIONS] COMMAND"),
        (["frobnicate"], "No such command 'frobnicate'", "Usage: vcaudit [OPTIONS] COMMAND"),
        (["feed", "update", "--url"], "Option '--url' requires an argument", None),
    ],
)
def test_usage_errors_use_the_one_error_style(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str, usage: str | None
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    first, *rest = err.splitlines()
    # The same first line as every other error vcaudit reports, then where to look.
    # (click's own words differ between releases: `No such option: --x`, `No such option '--x'`)
    assert first.startswith(f"vcaudit: error: {message}")
    assert all(arg in first for arg in args if arg.startswith("--"))
    if usage is not None:  # click knows the command for most errors, not all
        assert any(line.startswith(usage) for line in rest)
    assert rest[-1].startswith("Try '")
    assert rest[-1].endswith(" -h' for help.")


def test_a_usage_error_shows_hostile_text_inert(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--\x1b]0;pwned\x07")
    assert code == 2
    assert "\x1b" not in err
    assert "\x07" not in err
    assert err.startswith("vcaudit: error: No such option")
    assert "--\\x1b]0;pwned\\x07" in err.splitlines()[0]


def test_a_group_without_its_command_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "feed")
    assert code == 2
    assert "Usage: vcaudit feed [OPTIONS] COMMAND" in out + err
    assert "validate" in out + err


@pytest.fixture
def exploding_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("vcaudit.audit.run_audit", explode)
    monkeypatch.setattr("vcaudit.audit.run_audit_counts", explode)


@pytest.mark.usefixtures("exploding_audit")
@pytest.mark.parametrize("where", ["first", "after the command", "last"])
def test_debug_works_wherever_it_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,product,version\npc-1,Meetly,6.2.5\n", encoding="utf-8")
    args = ["scan", str(fleet), *BASE]
    if where == "first":
        args.insert(0, "--debug")
    elif where == "after the command":
        args.insert(1, "--debug")
    else:
        args.append("--debug")
    code, _, err = run(capsys, *args)
    assert code == 70
    assert "Traceback" in err
    assert "RuntimeError: boom" in err


@pytest.mark.usefixtures("exploding_audit")
def test_without_debug_there_is_no_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,product,version\npc-1,Meetly,6.2.5\n", encoding="utf-8")
    code, _, err = run(capsys, "scan", str(fleet), *BASE)
    assert code == 70
    assert "Traceback" not in err


def test_debug_after_a_double_dash_is_a_file_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "scan", *BASE, "--", "--debug")
    assert code == 3
    assert "--debug" in err
    assert "Traceback" not in err


def test_scan_usage_says_it_takes_several_inventories(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "scan", "-h")
    assert code == 0
    assert out.splitlines()[0] == "Usage: vcaudit scan [OPTIONS] [INVENTORY]..."


def test_shell_completion_completes_commands_and_options(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The protocol bash's completion script speaks (`vcaudit --show-completion bash`).
    monkeypatch.setenv("_VCAUDIT_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "vcaudit sc")
    monkeypatch.setenv("COMP_CWORD", "1")
    code, out, _ = run(capsys)
    assert code == 0
    assert out.split() == ["scan"]
    monkeypatch.setenv("COMP_WORDS", "vcaudit scan --fail-on")
    monkeypatch.setenv("COMP_CWORD", "2")
    code, out, _ = run(capsys)
    assert code == 0
    assert out.split() == ["--fail-on", "--fail-on-review"]


def test_completion_can_be_shown_for_bash(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--show-completion", "bash")
    assert code == 0
    assert "_VCAUDIT_COMPLETE=complete_bash" in out


def test_every_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from vcaudit.cli import app

    command = typer.main.get_command(app)

    def walk(cmd: object, path: str) -> list[str]:
        missing = []
        for param in getattr(cmd, "params", []):
            if (
                getattr(param, "param_type_name", "") == "option"
                and not getattr(param, "hidden", False)
                and not (getattr(param, "help", "") or "").strip()
            ):
                missing.append(f"{path} {param.opts[0]}")
        for name, sub in getattr(cmd, "commands", {}).items():
            missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(command, "vcaudit") == []
