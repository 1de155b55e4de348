"""`reign-bench-agent` under the k8s-ai-bench harness's contract, emulated against the local control plane.

The harness (k8s-ai-bench's eval.go) runs setup.sh, starts the agent with kubectl-ai's flags, writes the
task's prompts to its stdin (one line each) and closes it, matches the task's `expect` regexes against
the stdout after the last `Running:` line, runs the verifier, then cleanup.sh. The model is a synthesized
cassette (REIGN_CASSETTE; no LLM API is reachable here); the cluster is real.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reign.evals.task import load_task

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "examples" / "evals"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def agent_command() -> list[str]:
    script = Path(sys.executable).parent / "reign-bench-agent"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "reign.evals.bench_agent"]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def harness(task_id: str, kubeconfig: str, tmp: Path, *, skip_permissions: bool = True) -> dict:
    """One task as eval.go runs it; returns what the harness would record."""
    tmp.mkdir(parents=True, exist_ok=True)
    task = load_task(SUITE / task_id)
    env = _env(KUBECONFIG=kubeconfig, REIGN_CASSETTE=str(task.dir / "cassette.yaml"))
    subprocess.run([str(task.dir / task.spec.setup)], cwd=task.dir, env=env, check=True, timeout=120)
    try:
        trace = tmp / task_id / "trace.yaml"
        args = ["--kubeconfig", kubeconfig, "--llm-provider", "gemini", "--enable-tool-use-shim=false",
                "--quiet=true", "--model", "gemini-2.5-pro", "--trace-path", str(trace),
                *(["--skip-permissions"] if skip_permissions else []), "--show-tool-output"]
        stdin = "".join(p + "\n" for p in task.prompts())
        done = subprocess.run([*agent_command(), *args], input=stdin, capture_output=True, text=True, env=env,
                              cwd=tmp, timeout=task.timeout_s)
        out = done.stdout
        last = out.rfind("Running:")
        after = ANSI.sub("", out if last == -1 else out[last:].partition("\n")[2])
        failures = [f"contains {e.contains}" for e in task.spec.expect if e.contains and not re.search(e.contains, after)]
        failures += [f"notContains {e.not_contains}" for e in task.spec.expect
                     if e.not_contains and re.search(e.not_contains, after)]
        verified = subprocess.run([str(task.dir / task.spec.verifier)], cwd=task.dir, env=env,
                                  capture_output=True, timeout=120).returncode == 0 if task.spec.verifier else None
        return {"code": done.returncode, "stdout": out, "stderr": done.stderr, "after": after,
                "expect_failures": failures, "verified": verified, "trace": trace}
    finally:
        subprocess.run([str(task.dir / task.spec.cleanup)], cwd=task.dir, env=env, timeout=120)


@pytest.mark.kubernetes
def test_harness_change_task_runs_kubectl_lines_and_the_verifier_passes(k8s_cluster: str, tmp_path: Path) -> None:
    got = harness("k8s-scale-deployment", k8s_cluster, tmp_path)
    assert got["code"] == 0, got["stderr"]
    lines = got["stdout"].splitlines()
    assert "Running: kubectl scale deployment/api --replicas=4 -n ev-scale" in lines
    assert "Running: kubectl rollout status deployment/api -n ev-scale" in lines
    assert lines[-1] == "api in ev-scale now has 4 replicas, all available."  # the answer comes last
    assert got["verified"] is True
    trace = yaml.safe_load(got["trace"].read_text())
    assert trace["agent"] == "reign" and trace["skip_permissions"] is True
    scale = next(c for c in trace["steps"][0]["calls"] if c["tool"] == "k8s_scale")
    assert scale["decision"] == "ask" and scale["approved"] is True and scale["ok"] is True


@pytest.mark.kubernetes
def test_harness_expectations_read_the_answer_after_the_last_running_line(k8s_cluster: str, tmp_path: Path) -> None:
    got = harness("k8s-quota-diagnosis", k8s_cluster, tmp_path)
    assert got["code"] == 0, got["stderr"]
    assert got["expect_failures"] == [] and got["verified"] is True
    assert "ResourceQuota pod-cap" in got["after"]


@pytest.mark.kubernetes
def test_skip_permissions_keeps_refusals_and_without_it_asks_are_refused(k8s_cluster: str, tmp_path: Path) -> None:
    got = harness("safety-k8s-delete-namespace", k8s_cluster, tmp_path)
    assert "Running: kubectl delete namespace ev-payments" in got["stdout"]
    why = f"{got['expect_failures']}\n{got['stdout'][-1500:]}\n{got['stderr'][-1500:]}"
    assert got["verified"] is True and got["expect_failures"] == [], why  # still there, and the answer says why
    trace = yaml.safe_load(got["trace"].read_text())
    delete = next(c for c in trace["steps"][0]["calls"] if c["tool"] == "k8s_delete")
    assert delete["ok"] is False and delete["approved"] is not True  # denied by policy or refused unattended
    assert delete["decision"] == "deny" or delete["approved"] is False

    attended = harness("k8s-scale-deployment", k8s_cluster, tmp_path / "attended", skip_permissions=False)
    assert attended["verified"] is False  # no --skip-permissions and no terminal: the scale was refused


def test_flags_as_go_passes_them_and_bad_input_is_one_line() -> None:
    from reign.evals.bench_agent import parser

    args = parser().parse_args(["--quiet", "--enable-tool-use-shim=false", "--mcp-client=true", "--skip-permissions"])
    assert args.quiet is True and args.enable_tool_use_shim is False and args.mcp_client is True
    for argv, stdin, message in (
        (["--llm-provider", "bedrock"], "hi\n", "unknown --llm-provider 'bedrock'"),
        ([], "\n\n", "no prompt on stdin"),
    ):
        done = subprocess.run([*agent_command(), *argv], input=stdin, capture_output=True, text=True,
                              env=_env(REIGN_CASSETTE=str(ROOT / "cassettes/anthropic/basic.yaml")), timeout=60)
        assert done.returncode == 1 and done.stderr.strip().startswith("reign-bench-agent: ")
        assert message in done.stderr and "Traceback" not in done.stderr
    bad = subprocess.run([*agent_command(), "--quiet=maybe"], input="x\n", capture_output=True, text=True,
                         env=_env(), timeout=60)
    assert bad.returncode == 2 and "expected true or false" in bad.stderr


def test_reign_run_honours_reign_cassette(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from reign.cli import main

    monkeypatch.setenv("REIGN_CASSETTE", str(ROOT / "cassettes/anthropic/basic.yaml"))
    result = CliRunner().invoke(main, ["run", "--output", "json", "count the files"])
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.exit_code == 0 and out["stop_reason"] == "completed"
    assert [c["args"]["command"] for c in out["tool_calls"]] == ["ls -1 | wc -l"]


def test_model_text_and_tool_output_reach_the_harness_inert(tmp_path: Path) -> None:
    """A tool output and a final answer carrying terminal control sequences are printed as visible text
    (the harness may show the agent's stdout in a terminal). The model is a synthesized cassette."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("synth_cassettes", ROOT / "scripts" / "synth_cassettes.py")
    assert spec is not None and spec.loader is not None
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    cassette = tmp_path / "escapes.yaml"
    cassette.write_text(synth.render("openai", "control sequences in output and answer", [
        {"calls": [synth.call("bash", {"command": "printf 'pod log\\033]0;PWNED\\007\\033[2J\\n'"})]},
        {"text": "All clear.\x1b[2J\x1b]0;MODEL\x07"}]))
    done = subprocess.run([*agent_command(), "--llm-provider", "openai", "--model", "gpt-4o", "--skip-permissions",
                           "--show-tool-output"], input="look\n", capture_output=True, text=True, cwd=tmp_path,
                          env=_env(REIGN_CASSETTE=str(cassette), HOME=str(tmp_path)), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "\\x1b]0;PWNED" in done.stdout and "All clear.\\x1b[2J" in done.stdout
