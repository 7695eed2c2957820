"""The command line as a consultant meets it: help, workspaces, one-sentence errors."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from sdexl.cli import main


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    commands = list(all_commands(main))
    assert {c[0][0] for c in commands} >= {"init", "generate", "harvest", "status", "build", "template", "reference", "demo"}
    for path, _ in commands:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example" in result.output, f"sdexl {' '.join(path)} --help has no example"


def test_init_makes_a_workspace_and_never_overwrites(tmp_path):
    target = tmp_path / "runde"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    for name in ("templates", "outgoing", "incoming", "output", "reference"):
        assert (target / name).is_dir()
    assert (target / "templates" / "sde-2024.yaml").exists()
    config = target / "sdexl.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    CliRunner().invoke(main, ["init", str(target)])
    assert config.read_text(encoding="utf-8").endswith("# mine\n")


def test_workspace_option_and_environment_select_the_workspace(tmp_path, monkeypatch):
    target = tmp_path / "ws"
    CliRunner().invoke(main, ["init", str(target)])
    result = CliRunner().invoke(main, ["-w", str(target), "generate", "sde-2024", "-k", "101"])
    assert result.exit_code == 0, result.output
    assert (target / "outgoing" / "sde-2024" / "101_København.xlsx").exists()
    monkeypatch.setenv("SDEXL_WORKSPACE", str(target))
    result = CliRunner().invoke(main, ["generate", "sde-2024", "-k", "147"])
    assert result.exit_code == 0, result.output
    assert (target / "outgoing" / "sde-2024" / "147_Frederiksberg.xlsx").exists()


def test_errors_are_one_sentence_without_traceback(tmp_path):
    not_a_workspace = CliRunner().invoke(main, ["-w", str(tmp_path), "generate", "sde-2024"])
    assert not_a_workspace.exit_code == 1
    assert "is not an sdexl workspace" in not_a_workspace.output and "sdexl init" in not_a_workspace.output
    assert "Traceback" not in not_a_workspace.output
    CliRunner().invoke(main, ["init", str(tmp_path / "ws")])
    unknown = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "generate", "sde-1999"])
    assert unknown.exit_code == 1 and "Unknown survey 'sde-1999'" in unknown.output and "sde-2024" in unknown.output
    bad_code = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "generate", "sde-2024", "-k", "999"])
    assert bad_code.exit_code == 1 and "'999' is not a kommunekode" in bad_code.output
    debug = CliRunner().invoke(main, ["--debug", "-w", str(tmp_path / "ws"), "generate", "sde-1999"])
    assert debug.exception is not None  # --debug lets the exception through, with its traceback


def test_the_command_line_tunes_the_collector_for_its_run_and_the_library_does_not(monkeypatch):
    import gc

    import sdexl.cli as cli_module

    before = gc.get_threshold()
    assert before != cli_module.GC_THRESHOLDS  # importing sdexl changed nothing
    monkeypatch.setattr(cli_module, "main", lambda: None)
    monkeypatch.setattr(cli_module, "exit_now", lambda code: None)  # not the test process
    try:
        cli_module.run()
        assert gc.get_threshold() == cli_module.GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)


@pytest.mark.parametrize(("code", "status", "err"), [(None, 0, ""), (3, 3, ""), ("Stop here.", 1, "Stop here.\n")])
def test_the_quick_exit_keeps_the_status_the_output_and_the_exit_handlers(code, status, err):
    script = (
        "import atexit, sys\n"
        "from sdexl.cli import exit_now\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "sys.stdout.write('buffered, not yet flushed')\n"
        f"exit_now({code!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == status
    assert done.stdout == "buffered, not yet flushedhandler ran\n"
    assert done.stderr == err
