"""The catalogue, the bash tool, command templates and truncation, against a real shell."""

from __future__ import annotations

import inspect
import time
from pathlib import Path

import pytest

from reign.catalogue import Catalogue, resolve
from reign.config import Settings
from reign.errors import ReignError
from reign.managers import bash
from reign.toolcontext import ToolContext
from reign.truncate import cut


def test_every_catalogued_tool_resolves_and_matches_its_schema() -> None:
    """One source of truth: each entry's callable takes exactly the schema's properties (plus ctx), with the
    schema's defaults, and its preview takes the same arguments."""
    catalogue = Catalogue.load()
    assert "bash" in catalogue.tools
    for tool in catalogue.tools.values():
        if tool.command is not None:
            continue
        params = inspect.signature(tool.resolve()).parameters
        names = {n for n, p in params.items() if n != "ctx" and p.kind is inspect.Parameter.KEYWORD_ONLY}
        props = set(tool.input_schema.get("properties", {}))
        assert names == props, f"{tool.name}: function params {sorted(names)} != schema {sorted(props)}"
        required = {n for n in names if params[n].default is inspect.Parameter.empty}
        assert required == set(tool.input_schema.get("required", [])), tool.name
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        for name, prop in tool.input_schema.get("properties", {}).items():
            if "default" in prop:
                assert params[name].default == prop["default"], f"{tool.name}.{name}"
        if tool.preview:
            assert inspect.signature(resolve(tool.preview)).parameters.keys() == params.keys(), tool.name


def test_every_manager_function_is_catalogued() -> None:
    """No orphan tool functions: every public function of a manager module is in the catalogue."""
    import importlib

    catalogue = Catalogue.load()
    impls = {t.impl for t in catalogue.tools.values()}
    modules = {t.impl.split(":")[0] for t in catalogue.tools.values() if t.command is None}
    helpers = {"available", "preview", "render", "run_argv"}
    for module in modules:
        mod = importlib.import_module(module)
        for name, func in inspect.getmembers(mod, inspect.isfunction):
            if func.__module__ != module or name.startswith("_") or name in helpers or name.startswith("preview"):
                continue
            params = inspect.signature(func).parameters.values()
            if params and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params):
                assert f"{module}:{name}" in impls, f"{module}:{name} looks like a tool but is not catalogued"


def test_validation_messages_name_the_problem() -> None:
    catalogue = Catalogue.load()
    tool = catalogue.tools["bash"]
    assert catalogue.validate(tool, {"command": "ls"}) is None
    assert "required property" in (catalogue.validate(tool, {}) or "")
    assert "Additional properties" in (catalogue.validate(tool, {"command": "ls", "x": 1}) or "")
    assert "timeout" in (catalogue.validate(tool, {"command": "ls", "timeout": -1}) or "")


def test_user_catalogue_folder_with_a_command_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       settings: Settings) -> None:
    folder = tmp_path / "mytools"
    folder.mkdir()
    (folder / "greet.yaml").write_text(
        "manager: mine\ntools:\n  - name: greet\n    description: say hello\n    effect: read\n"
        "    command: [echo, hello, '{who}', '{suffix}']\n"
        "    input_schema: {type: object, properties: {who: {type: string}, suffix: {type: string}},"
        " required: [who], additionalProperties: false}\n")
    monkeypatch.setenv("REIGN_TOOLS_PATH", str(folder))
    catalogue = Catalogue.load()
    tool = catalogue.tools["greet"]
    out = tool.resolve()(**dict(tool.bound), who="world; rm -rf /", ctx=ToolContext(settings=settings))
    assert out["stdout"] == "hello world; rm -rf /\n"  # argv, never a shell: the text is only text


@pytest.mark.parametrize("content, message", [
    ("tools: nope", "needs a `tools:` list"),
    ("tools: [{name: x, effect: read, impl: 'a:b', description: d, input_schema: {type: string}}]", "type: object"),
    ("tools: [{name: x, effect: maybe, impl: 'a:b'}]", "`effect` must be one of"),
    ("tools: [{name: 'bad name', effect: read, impl: 'a:b'}]", "`name` must match"),
    ("tools: [{name: bash, effect: read, impl: 'a:b'}]", "already defined"),
    ("tools: [{name: x, effect: read, impl: 'a:b', surprise: 1}]", "unknown fields"),
    ("tools: [{name: x, effect: read, impl: 'a:b', input_schema: {type: object, properties: {a: {type: nope}}}}]",
     "invalid input_schema"),
])
def test_bad_catalogue_files_fail_with_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.yaml").write_text(content)
    with pytest.raises(ReignError, match=message.replace("`", ".").replace("(", ".")):
        Catalogue.load([tmp_path])


def test_bash_runs_in_the_working_directory(settings: Settings, workdir: Path) -> None:
    (workdir / "marker.txt").write_text("x")
    out = bash.run(command="ls; echo err >&2; exit 3", ctx=ToolContext(settings=settings, cwd=workdir))
    assert out == {"exit_code": 3, "stdout": "marker.txt\n", "stderr": "err\n"}


def test_bash_timeout_kills_the_whole_process_group(settings: Settings, workdir: Path) -> None:
    started = time.monotonic()
    out = bash.run(command="sleep 30 & sleep 30; echo never", timeout=0.5, ctx=ToolContext(settings=settings))
    assert time.monotonic() - started < 5
    assert out["timed_out"] is True and out["exit_code"] is None and "timed out after 0.5s" in out["error"]
    assert "never" not in out["stdout"]


def test_bash_does_not_see_reign_model_keys(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-should-not-leak")
    out = bash.run(command="echo ${ANTHROPIC_API_KEY:-absent}", ctx=ToolContext(settings=settings))
    assert out["stdout"] == "absent\n"


def test_bash_output_cap_keeps_head_and_tail(settings: Settings) -> None:
    out = bash.run(command="seq 1 300000", ctx=ToolContext(settings=settings))
    assert out["stdout"].startswith("1\n2\n") and out["stdout"].rstrip().endswith("300000")
    assert "cut by reign" in out["stdout"] and len(out["stdout"]) < settings.output_cap + 200


def test_cut_reports_what_was_cut() -> None:
    text = "\n".join(f"line {i}" for i in range(1000))
    short = cut(text, 200)
    assert short.startswith("line 0\n") and short.endswith("line 999")
    assert "lines) cut by reign" in short and len(short) < 300
    assert cut("small", 200) == "small"


def test_pid_of_timed_out_child_is_gone(settings: Settings, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    bash.run(command=f"sleep 60 & echo $! > {pidfile}; wait", timeout=0.5, ctx=ToolContext(settings=settings))
    pid = int(pidfile.read_text())
    time.sleep(0.1)
    stat = Path(f"/proc/{pid}/stat")
    # Gone, or a zombie waiting for a reaper: either way it no longer runs.
    assert not stat.exists() or stat.read_text().split(") ", 1)[1].startswith("Z")


def test_cut_keeps_notable_lines_from_the_middle_with_line_numbers() -> None:
    rows = [f"default   web-{i:04d}   1/1   Running   0   3d" for i in range(3000)]
    rows[1700] = "payments  api-7f9c   0/1   CrashLoopBackOff   41   3d"
    short = cut("\n".join(rows), 4000)
    assert "1701: payments  api-7f9c   0/1   CrashLoopBackOff" in short
    assert short.startswith("default   web-0000") and short.rstrip().endswith("3d")
    assert len(short) < 4600


def test_old_results_are_compacted_but_recent_ones_stay_whole(scripted, settings: Settings) -> None:
    from conftest import turn
    from helpers import make_agent

    from reign.agent import Limits

    turns = [turn("", ("bash", {"command": "seq 1 2000"})) for _ in range(5)] + [turn("done")]
    provider = scripted(turns)
    agent = make_agent(provider, settings, limits=Limits(keep_recent=2, old_result_cap=300))
    assert agent.run("x").stop_reason == "completed"
    sizes = [len(m.tool_results[0].content) for m in agent.messages if m.role == "tool"]
    assert all(s < 500 for s in sizes[:3]) and all(s > 3000 for s in sizes[3:])
    assert all("[compacted by reign]" in m.tool_results[0].content for m in agent.messages[:7] if m.role == "tool")


def test_very_old_results_become_stubs_that_keep_notable_lines(scripted, settings: Settings) -> None:
    from conftest import turn
    from helpers import make_agent

    from reign.agent import Limits
    from reign.approval import NonInteractive

    cmd = "seq 1 3000 | sed 's/^1500$/payments api-7f9c 0\\/1 CrashLoopBackOff/'"
    provider = scripted([turn("", ("bash", {"command": cmd})) for _ in range(6)] + [turn("done")])
    agent = make_agent(provider, settings, limits=Limits(keep_recent=1, stub_after=3, old_result_cap=800),
                       approver=NonInteractive(yes=True))
    agent.run("x")
    contents = [m.tool_results[0].content for m in agent.messages if m.role == "tool"]
    assert all(c.startswith("[stub by reign") and "CrashLoopBackOff" in c and len(c) < 400 for c in contents[:3])
    assert all("[compacted by reign]" in c and "CrashLoopBackOff" in c for c in contents[3:5])
