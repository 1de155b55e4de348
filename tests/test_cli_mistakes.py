"""A user's mistakes end in one clear line naming the file or setting, exit 1 or 2, never a traceback or
`internal error`; misspelt settings are warned about once, with the likely name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reign import config
from reign.cli import main
from reign.cli_actions import load_settings

ROOT = Path(__file__).resolve().parent.parent
BASIC = str(ROOT / "cassettes/anthropic/basic.yaml")


def reign(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def _one_clear_line(code: int, out: str, *needles: str) -> None:
    assert code in (1, 2), out
    assert "Traceback" not in out and "internal error" not in out
    lines = [line for line in out.splitlines() if line.startswith("reign: ") and "warning" not in line]
    assert len(lines) == 1, out
    for needle in needles:
        assert needle in lines[0], out


def test_malformed_cassette_yaml(workdir: Path) -> None:
    (workdir / "bad.yaml").write_text("interactions: [\n  - foo: 1\n bad")
    _one_clear_line(*reign("run", "--cassette", "bad.yaml", "goal"), "bad.yaml", "not valid YAML at line 2")


def test_cassette_of_the_wrong_shape(workdir: Path) -> None:
    (workdir / "shape.yaml").write_text("hello: 1\n")
    _one_clear_line(*reign("run", "--cassette", "shape.yaml", "goal"), "shape.yaml", "not a vcrpy cassette")


def test_toml_syntax_error_names_file_and_line(isolated_home: Path) -> None:
    path = isolated_home / ".config" / "reign" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[reign]\nmax_steps = 3\nprovider = \n")
    _one_clear_line(*reign("run", "--cassette", BASIC, "goal"), str(path), "line 3")


@pytest.mark.parametrize("value, words", [("abc", "valid number"), ("-5", "greater than 0"), ("0", "greater than 0")])
def test_bad_timeout(workdir: Path, value: str, words: str) -> None:
    _one_clear_line(*reign("run", "--cassette", BASIC, "goal", env={"REIGN_TOOL_TIMEOUT": value}),
                    "tool_timeout", "REIGN_TOOL_TIMEOUT", words)


def test_blank_goal_and_missing_goal(workdir: Path) -> None:
    _one_clear_line(*reign("run", "   "), "GOAL is blank")
    code, out = reign("run")
    assert code == 2 and "give a GOAL" in out


@pytest.mark.parametrize("setting", ["REIGN_AUDIT_DIR", "REIGN_SESSIONS_DB"])
def test_unwritable_state(workdir: Path, setting: str) -> None:
    """A path under a regular file cannot be created even by root (the tests may run as root)."""
    (workdir / "a-file").write_text("")
    target = str(workdir / "a-file" / "state" / ("x.db" if setting == "REIGN_SESSIONS_DB" else ""))
    _one_clear_line(*reign("run", "--cassette", BASIC, "goal", env={setting: target}), "cannot write to", setting)


def test_unknown_keys_in_config_toml_are_warned_once_with_a_suggestion(isolated_home: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = isolated_home / ".config" / "reign" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[reign]\nmax_step = 3\ntool_timeout = 7\n")
    config._warned.clear()
    settings = load_settings({})
    load_settings({})
    err = capsys.readouterr().err
    assert settings.tool_timeout == 7 and settings.max_steps == 20
    assert err.count("unknown setting 'max_step'") == 1 and "did you mean max_steps?" in err and str(path) in err


def test_dotenv_warnings_print_once_and_name_the_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / ".env").write_text("REIGN_MAX_STEP=3\nREIGN_WORKSPACE_ROOT=/\nREIGN_TOOL_TIMEOUT=9\n")
    config._warned.clear()
    for _ in range(3):
        settings = load_settings({})
    err = capsys.readouterr().err
    where = str(workdir / ".env")
    assert settings.tool_timeout == 9 and settings.workspace_root == workdir
    assert err.count("unknown setting REIGN_MAX_STEP (did you mean REIGN_MAX_STEPS?)") == 1
    assert err.count("ignoring workspace_root") == 1 and err.count(where) == 2


def test_log_settings_exist(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REIGN_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("REIGN_LOG_FILE", str(workdir / "reign.log"))
    settings = load_settings({})
    assert settings.log_level == "debug" and settings.log_file == workdir / "reign.log"


def test_env_example_lists_every_setting_and_the_locations() -> None:
    text = (ROOT / ".env.example").read_text()
    names = {f"REIGN_{name.upper()}" for name in config.Settings.model_fields
             if name not in ("anthropic_api_key", "openai_api_key", "github_token", "mcp_servers", "prices")}
    missing = sorted(n for n in names if n not in text)
    assert not missing, f".env.example does not mention {missing}"
    for name in ("KUBECONFIG", "REIGN_CONFIG", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "REIGN_LOG_LEVEL",
                 "REIGN_LOG_FILE", "ANTHROPIC_API_KEY"):
        assert name in text, name


def test_the_console_script_never_shows_a_traceback_for_a_mistake(workdir: Path) -> None:
    """Through `entry()` as installed, not only click's runner."""
    (workdir / "bad.yaml").write_text(": : :\n")
    proc = subprocess.run([sys.executable, "-c", "from reign.cli import entry; entry()", "run", "--cassette",
                           "bad.yaml", "goal"], capture_output=True, text=True, cwd=workdir, timeout=60,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 1 and proc.stderr.startswith("reign: cassette bad.yaml") and "Traceback" not in proc.stderr
