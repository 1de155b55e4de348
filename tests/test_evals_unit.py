"""The eval harness's parts without engines: task format, metrics, reports, compare, command lines, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reign.errors import ReignError
from reign.evals.commands import command_line
from reign.evals.compare import compare
from reign.evals.report import html_page, load, markdown, write_all
from reign.evals.results import Attempt, CallStats, SuiteResult, TaskResult, estimate_cost, pass_at_k, pass_hat_k
from reign.evals.task import load_suite, load_task, parse_duration


def _task(folder: Path, text: str, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "task.yaml").write_text(text)
    for name, body in (files or {}).items():
        (folder / name).write_text(body)
    return folder


def test_k8s_ai_bench_task_files_load_as_they_are(tmp_path: Path) -> None:
    # As k8s-ai-bench writes them: promptFile, notContains (and the Go tag's not_contains), isolation, timeout.
    folder = _task(tmp_path / "allowed-ip", """
script:
- promptFile: prompt.txt
- prompt: "and now?"
setup: setup.sh
verifier: verify.sh
cleanup: cleanup.sh
expect:
- contains: "VIOLATING: resource-002"
- notContains: "VIOLATING: resource-001"
- not_contains: "resource-003"
isolation: cluster
timeout: 5m
difficulty: medium
""", {"prompt.txt": "Check the Services.\n", "setup.sh": "", "verify.sh": "", "cleanup.sh": ""})
    task = load_task(folder)
    assert task.prompts() == ["Check the Services.", "and now?"]
    assert [e.not_contains for e in task.spec.expect] == ["", "VIOLATING: resource-001", "resource-003"]
    assert task.timeout_s == 300 and task.spec.reign.backends == ["kubernetes"]


@pytest.mark.parametrize(("text", "files", "message"), [
    ("script: [{prompt: a, promptFile: b}]", {}, "exactly one of `prompt` and `promptFile`"),
    ("script: []", {}, "script"),
    ("script: [{prompt: a}]\nverifier: nope.sh", {}, "verifier script not found"),
    ("script: [{prompt: a}]\nexpect: [{contains: '(unclosed'}]", {}, "bad regex"),
    ("script: [{prompt: a}]\ntimeout: soon", {}, "bad timeout"),
    ("script: [{prompt: a}]\nreign: {backends: [vmware]}", {}, "reign.backends"),
    ("script: [{prompt: a}]\nreign: {cassete: x.yaml}", {}, "reign.cassete"),
    ("script: [{prompt: a}\n", {}, "not valid YAML"),
])
def test_bad_tasks_are_one_clear_error(tmp_path: Path, text: str, files: dict[str, str], message: str) -> None:
    with pytest.raises(ReignError, match=re.escape(message)):
        load_task(_task(tmp_path / "t", text, files))


def test_suites_filter_disabled_and_pattern(tmp_path: Path) -> None:
    _task(tmp_path / "a-one", "script: [{prompt: a}]")
    _task(tmp_path / "b-two", "script: [{prompt: b}]\ndisabled: true")
    _task(tmp_path / "c-three", "script: [{prompt: c}]")
    assert [t.id for t in load_suite([tmp_path])] == ["a-one", "c-three"]
    assert [t.id for t in load_suite([tmp_path], "three")] == ["c-three"]
    assert [t.id for t in load_suite([tmp_path / "b-two"], include_disabled=True)] == ["b-two"]
    with pytest.raises(ReignError, match="suite not found"):
        load_suite([tmp_path / "missing"])


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("5m", 300), ("1h30m", 5400), ("1.5m", 90), ("20", 20),
                                               ("500ms", 0.5)])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_pass_at_k_and_pass_hat_k() -> None:
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 4) == 1.0 and pass_hat_k(4, 1, 4) == 0.0
    assert pass_hat_k(4, 3, 2) == pytest.approx(3 / 6)  # C(3,2)/C(4,2)
    assert pass_at_k(4, 0, 4) == 0.0 and pass_hat_k(4, 4, 4) == 1.0
    assert estimate_cost("claude-sonnet-5-5", 1_000_000, 100_000) == pytest.approx(3.0 + 1.5)
    assert estimate_cost("my-local-llama", 10, 10) is None
    assert estimate_cost("my-local-llama", 1_000_000, 0, (0.5, 1.0)) == pytest.approx(0.5)


def _suite(outcomes: dict[str, list[str]], model: str = "m") -> SuiteResult:
    tasks = [TaskResult(task=name, category="safety" if name.startswith("safety") else "change", k=2,
                        attempts=[Attempt(task=name, attempt=i + 1, outcome=o, input_tokens=100, output_tokens=10,
                                          cost_usd=0.01, calls=CallStats(total=2, allow=1, ask=1, deny=0),
                                          answer="<script>alert(1)</script>", commands=["kubectl get pods  [allow]"])
                                  for i, o in enumerate(os)])  # type: ignore[arg-type]
             for name, os in outcomes.items()]
    return SuiteResult(mode="replay", model=model, k=2, tasks=tasks)


def test_reports_json_markdown_and_self_contained_html(tmp_path: Path) -> None:
    suite = _suite({"a": ["pass", "pass"], "b": ["pass", "fail"], "safety-c": ["fail", "fail"]})
    overall = suite.overall()
    assert overall["pass@1"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert overall["pass@2"] == pytest.approx(2 / 3) and overall["pass^2"] == pytest.approx(1 / 3)
    paths = write_all(suite, tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["overall"]["passed"] == 3 and data["tasks"][1]["metrics"]["pass^2"] == 0.0
    assert load(paths["json"]).overall() == overall  # results.json reads back for compare
    md = markdown(suite)
    assert "| b | change |  | 1/2 | 50.0% | 0.0% |" in md
    page = html_page(suite)
    assert "<svg" in page and "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)  # nothing fetched from anywhere


def test_compare_names_regressions(tmp_path: Path) -> None:
    before = _suite({"a": ["pass", "pass"], "b": ["pass", "fail"]})
    after = _suite({"a": ["fail", "pass"], "b": ["pass", "pass"], "new": ["pass", "pass"]})
    text, regressed = compare(before, after)
    assert regressed
    assert "| a | 2/2 | 1/2 | **worse** (-50.0 pts) |" in text and "| b | 1/2 | 2/2 | better (+50.0 pts) |" in text
    assert "| new | — | 2/2 | added |" in text
    assert compare(before, before)[1] is False

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_all(before, tmp_path / "A")
    write_all(after, tmp_path / "B")
    a.write_text((tmp_path / "A" / "results.json").read_text())
    b.write_text((tmp_path / "B" / "results.json").read_text())
    from reign.cli import main

    res = CliRunner().invoke(main, ["eval", "compare", str(a), str(b)])
    assert res.exit_code == 1 and "**worse**" in res.output
    (tmp_path / "junk.json").write_text("{}[")
    res = CliRunner().invoke(main, ["eval", "compare", str(a), str(tmp_path / "junk.json")])
    assert res.exit_code == 2 and "not a `reign eval` results.json" in res.output


def test_eval_cli_errors_are_one_line(tmp_path: Path) -> None:
    from reign.cli import main

    res = CliRunner().invoke(main, ["eval", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and res.output.strip() == f"reign eval: suite not found: {tmp_path / 'nowhere'}"
    _task(tmp_path / "s" / "t1", "script: [{prompt: a}]\nreign: {backends: [git]}")
    res = CliRunner().invoke(main, ["eval", str(tmp_path / "s"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1  # no cassette to replay: skipped, so nothing ran
    assert "no cassette to replay" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.parametrize(("tool", "args", "line"), [
    ("k8s_get", {"kind": "pods", "namespace": "shop", "label_selector": "app=web"}, "kubectl get pods -n shop -l app=web"),
    ("k8s_get", {"kind": "pods", "all_namespaces": True}, "kubectl get pods -A"),
    ("k8s_delete", {"kind": "namespace", "name": "prod"}, "kubectl delete namespace prod"),
    ("k8s_scale", {"name": "api", "replicas": 3, "namespace": "x"}, "kubectl scale deployment/api --replicas=3 -n x"),
    ("k8s_logs", {"pod": "p", "namespace": "x", "previous": True}, "kubectl logs p -n x --previous"),
    ("k8s_patch", {"kind": "svc", "name": "s", "patch": {"a": 1}, "patch_type": "merge"},
     """kubectl patch svc s --type merge -p '{"a":1}'"""),
    ("helm_install", {"release": "r", "chart": "c", "namespace": "n", "set": {"a": "b c"}},
     "helm install r c -n n --set 'a=b c'"),
    ("bash", {"command": "kubectl get pods | wc -l"}, "kubectl get pods | wc -l"),
    ("k8s_get", {"name": "no kind"}, 'k8s_get {"name": "no kind"}'),
    ("github_read_issue", {"repo": "o/r", "number": 1}, 'github_read_issue {"number": 1, "repo": "o/r"}'),
])
def test_calls_as_command_lines(tool: str, args: dict, line: str) -> None:
    assert command_line(tool, args) == line
