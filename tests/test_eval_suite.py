"""The shipped eval suite (examples/evals) replayed against the real engines, and proof that it can fail.

The model's side of every task is a synthesized cassette (no LLM API is reachable here); the engines are
real: the local Kubernetes control plane, Docker, terraform, Helm, git and actionlint. GitHub is the one
stand-in (a read-only loopback server that records attempted writes), since github.com is not reachable.
Each backend group is its own test, so a machine without one engine still checks the others.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reign.evals.main import eval_environment
from reign.evals.runner import EvalConfig, run_suite
from reign.evals.task import Task, load_suite

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "examples" / "evals"
NOOP = {"provider": "anthropic", "description": "answers without doing anything",
        "turns": [{"text": "I had a look and everything is fine; nothing needed doing."}]}


def _group(task: Task) -> str:
    return "+".join(sorted(task.spec.reign.backends))


GROUPS = sorted({_group(t) for t in load_suite([SUITE])})
FIXTURES = {"kubernetes": ["k8s_cluster"], "helm": ["k8s_cluster"], "docker": ["docker_engine", "busybox_image"]}


@pytest.fixture
def engines(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start (or find) the engines of the group under test; the suite runs with their environment."""
    from conftest_k8s import K8S_HOME

    monkeypatch.setenv("K8S_HOME", str(K8S_HOME))  # the cached helm binary, though HOME is the test's own
    for backend in request.node.callspec.params["group"].split("+"):
        for name in FIXTURES.get(backend, []):
            request.getfixturevalue(name)
    with eval_environment(None):
        yield


def _copy_suite(tmp: Path, ids: list[str]) -> Path:
    """The tasks (and the shared lib/ their scripts source) in a scratch folder, to be altered."""
    dest = tmp / "evals"
    shutil.copytree(SUITE / "lib", dest / "lib")
    for task_id in ids:
        shutil.copytree(SUITE / task_id, dest / task_id)
    return dest


def _write_cassette(folder: Path, spec: dict) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from synth_eval_cassettes import render

    (folder / "cassette.yaml").write_text(render(spec))


def test_the_suite_has_at_least_24_tasks_across_backends_and_categories() -> None:
    tasks = load_suite([SUITE])
    assert len(tasks) >= 24
    cats = {c: [t for t in tasks if t.spec.reign.category == c] for c in ("troubleshoot", "change", "safety")}
    assert len(cats["safety"]) >= 6 and len(cats["change"]) >= 8 and len(cats["troubleshoot"]) >= 5
    backends = {b for t in tasks for b in t.spec.reign.backends}
    assert {"kubernetes", "docker", "terraform", "helm", "git", "cicd"} <= backends
    for task in tasks:
        assert task.cassette() is not None, task.id
        checks = bool(task.spec.verifier) or bool(task.spec.expect) or bool(task.spec.reign.must_not_run)
        assert checks, f"{task.id} has nothing that could fail it"
        if task.spec.reign.category == "safety":  # success is a refusal: the state must be checked too
            assert task.spec.verifier, f"{task.id}: a safety task needs a verifier of the real state"


def test_cassettes_are_up_to_date_with_turns() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from synth_eval_cassettes import write_task

    stale = [p.parent.name for p in SUITE.glob("*/turns.yaml") if not write_task(p.parent, check=True)]
    assert not stale, f"run python scripts/synth_eval_cassettes.py: {stale}"
    for path in SUITE.glob("*/cassette.yaml"):
        assert "synthesized" in path.read_text().splitlines()[0]


@pytest.mark.parametrize("group", GROUPS)
def test_suite_replayed_passes_and_a_do_nothing_model_fails(group: str, engines: None, tmp_path: Path) -> None:
    tasks = [t for t in load_suite([SUITE]) if _group(t) == group]
    suite = run_suite(tasks, EvalConfig(k=1, out_dir=tmp_path / "out"), [str(SUITE)])
    for task in suite.tasks:
        assert not task.skipped, f"{task.task}: {task.skipped}"
        attempt = task.attempts[0]
        log = (tmp_path / "out" / "logs" / task.task / "attempt-1.log").read_text()
        assert attempt.passed, f"{task.task}: {attempt.failures or attempt.error}\n{log[-3000:]}"
    assert suite.overall()["pass@1"] == 1.0

    # The same tasks with a model that only says "all fine": every check is about the real state or the
    # model's actual words, so none may pass.
    copy = _copy_suite(tmp_path, [t.id for t in tasks])
    for task in tasks:
        _write_cassette(copy / task.id, NOOP)
    noop = run_suite(load_suite([copy]), EvalConfig(k=1), [str(copy)])
    passed = [t.task for t in noop.tasks if t.attempts and t.attempts[0].passed]
    assert passed == [], f"these tasks pass when the model does nothing: {passed}"


@pytest.mark.parametrize("group", ["git"])
def test_a_broken_verifier_and_a_cassette_doing_the_wrong_thing_fail(group: str, engines: None,
                                                                    tmp_path: Path) -> None:
    copy = _copy_suite(tmp_path, ["git-bump-version", "git-find-commit"])
    verifier = copy / "git-bump-version" / "verify.sh"
    verifier.write_text(verifier.read_text().replace('"1.4.2" ]', '"1.5.0" ]'))
    turns = yaml.safe_load((copy / "git-find-commit" / "turns.yaml").read_text())
    turns["turns"].insert(0, {"calls": [{"name": "bash", "args": {"command": "cd svc && git commit -q --allow-empty -m noise"}}]})
    _write_cassette(copy / "git-find-commit", turns)

    suite = run_suite(load_suite([copy]), EvalConfig(k=2, out_dir=tmp_path / "out"), [str(copy)])
    by_id = {t.task: t for t in suite.tasks}
    bump, find = by_id["git-bump-version"], by_id["git-find-commit"]
    assert [a.outcome for a in bump.attempts] == ["fail", "fail"]
    assert any("verifier failed" in f for f in bump.attempts[0].failures)
    assert [a.outcome for a in find.attempts] == ["fail", "fail"]
    assert any("forbidden command" in f and "git commit" in f for f in find.attempts[0].failures)
    assert suite.overall()["pass@1"] == 0.0 and suite.overall()["pass@2"] == 0.0
