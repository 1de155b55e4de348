"""The OS sandbox behind the gate, on a real bubblewrap: with a user policy that allows everything, the
sandbox alone keeps the machine unchanged outside the workspace and the credential stores unread, while the
CLIs an operator needs (docker, git, terraform, kubectl, helm) still work from inside it against the local
engines. Tests that start processes go through the real executor, as a run does."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reign import sandbox
from reign.approval import NonInteractive
from reign.catalogue import Catalogue
from reign.config import Settings
from reign.errors import ReignError
from reign.executor import Executor, parse_process
from reign.policy import PolicyGate, gate_context, load_checked_policy
from reign.policy.rules import load_policy
from reign.types import CallRecord, ToolCall

NO_BWRAP = sandbox.unavailable_reason()
pytestmark = [pytest.mark.sandbox, pytest.mark.skipif(NO_BWRAP is not None, reason=f"no sandbox: {NO_BWRAP}")]

KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ-REIGN-TEST-PRIVATE-KEY-BODY"


PROGRAMS = ["bash", "sh", "echo", "printf", "touch", "mkdir", "cat", "cp", "ls", "head", "wc", "grep", "sort", "tr",
            "ps", "sleep", "tar", "base64", "python3", "perl", "git", "docker", "kubectl", "helm", "terraform"]


def permissive_user_policy() -> None:
    """A user policy that allows every call: every shipped rule disabled, and allow rules that name every tool
    and program these tests run (the gate takes a user's rule that names a program as a grant of it). What
    stops a call in these tests is the sandbox, not the gate."""
    defaults = [r.id for r in load_policy(user=False, project=False).rules]
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "reign" / "policy.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"disable": defaults, "rules": [
        {"id": "permissive-tools", "decision": "allow", "reason": "test: allow all",
         "match": {"tool": ["bash", "my_cat", "my_docker_ps", "aws_reader", "config_writer"]}},
        {"id": "permissive-programs", "decision": "allow", "reason": "test: allow all",
         "match": {"program": PROGRAMS}},
        {"id": "offline-marked", "decision": "allow", "reason": "test: calls marked OFFLINE run offline",
         "match": {"program": "python3", "argv": {"any_in": ["OFFLINE"]}}, "sandbox": {"network": False}},
    ]}))


def executor(settings: Settings, *, attended: bool = False, tools_dirs: list[Path] | None = None) -> Executor:
    approver: Any = NonInteractive(yes=True)
    if attended:
        approver.attended = True
    settings = settings.model_copy(update={"tools_dirs": tools_dirs or []})
    return Executor(catalogue=Catalogue.load(settings.tools_dirs),
                    gate=PolicyGate(load_checked_policy([]), gate_context(settings)),
                    approver=approver, settings=settings, cwd=Path(settings.workspace_root))


def bash(ex: Executor, command: str, tool: str = "bash", **args: Any) -> tuple[dict[str, Any], CallRecord]:
    result, record = ex.execute(ToolCall(id="c1", name=tool, args={"command": command, **args}
                                         if tool == "bash" else args), 1)
    assert record.decision == "allow", (record.rule, record.reason)
    return parse_process(result.content) or {"error": result.content}, record


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under the roots with its size and modification time."""
    seen: dict[str, tuple[int, int]] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [*dirnames, *filenames]:
                path = Path(dirpath) / name
                st = path.lstat()
                seen[str(path)] = (st.st_size, st.st_mtime_ns)
    return seen


@pytest.fixture(params=["under-tmp", "under-var-tmp"])
def world(request: pytest.FixtureRequest, tmp_path: Path, isolated_home: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """A workspace with a sibling folder beside it, in /tmp (the sandbox's /tmp is private) and in /var/tmp
    (an ordinary read-only folder inside the sandbox); a HOME with credential stores in it."""
    base = tmp_path if request.param == "under-tmp" else Path(
        __import__("tempfile").mkdtemp(prefix="reign-sbx-", dir="/var/tmp"))
    workspace, sibling = base / "ws", base / "sibling"
    workspace.mkdir()
    sibling.mkdir()
    (sibling / "keep.txt").write_text("untouched\n")
    home = isolated_home
    for rel, body in {".ssh/id_ed25519": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n",
                      ".aws/credentials": f"[default]\naws_secret_access_key = {KEY_BODY}\n",
                      ".docker/config.json": f'{{"auths": {{"r.example": {{"auth": "{KEY_BODY}"}}}}}}',
                      ".config/gcloud/application_default_credentials.json": f'{{"k": "{KEY_BODY}"}}',
                      ".azure/msal_token_cache.json": KEY_BODY, ".gnupg/private.key": KEY_BODY,
                      ".config/reign/config.toml": f'audit_key = "{KEY_BODY}"\n'}.items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_text(body)
    monkeypatch.chdir(workspace)
    yield {"base": base, "ws": workspace, "sibling": sibling, "home": home,
           "in_tmp": Path("/tmp") if request.param == "under-tmp" else Path("/nonexistent")}
    if request.param != "under-tmp":
        shutil.rmtree(base, ignore_errors=True)


def test_sandbox_alone_stops_writes_outside_the_workspace(world: dict[str, Path]) -> None:
    permissive_user_policy()
    settings = Settings(workspace_root=world["ws"], tool_timeout=20, output_cap=8000)
    ex = executor(settings)
    before = snapshot(world["home"], world["base"])
    out, _ = bash(ex, "echo inside > made-here.txt && cat made-here.txt")
    assert out["exit_code"] == 0 and out["stdout"] == "inside\n"  # the workspace is writable
    beside = [  # in the private /tmp these land in a throwaway tmpfs; in /var/tmp they fail outright
        "echo beside > ../beside.txt",
        f"echo over > {world['sibling']}/keep.txt",
        f"mkdir {world['sibling']}/new-dir",
    ]
    attempts = [
        "touch ~/pwned",
        "python3 -c \"import os; open(os.path.expanduser('~/pwned-by-python'), 'w').write('x')\"",
        "perl -e 'open(F, \">\", \"$ENV{HOME}/.bashrc\") or die \"no: $!\"; print F \"evil\"'",
        "python3 -c \"import os; os.remove(os.path.expanduser('~/.ssh/id_ed25519'))\"",
        "echo evil >> ~/.config/reign/config.toml",
        "touch /etc/reign-escape /usr/local/reign-escape /var/tmp/reign-escape-file",
    ]
    try:
        for command in beside:
            out, _ = bash(ex, command)
            assert out["exit_code"] != 0 or world["in_tmp"] == Path("/tmp"), (command, out)
        for command in attempts:
            out, _ = bash(ex, command)
            assert out["exit_code"] != 0, (command, out)
    finally:  # should the sandbox ever fail, leave no trace on the machine
        for stray in ("/etc/reign-escape", "/usr/local/reign-escape", "/var/tmp/reign-escape-file"):
            if Path(stray).exists():
                Path(stray).unlink()
                pytest.fail(f"{stray} was written outside the sandbox")
    after = snapshot(world["home"], world["base"])
    added = set(after) - set(before)
    assert added == {str(world["ws"] / "made-here.txt")}
    changed = {k for k in before if after.get(k) != before[k]}
    assert changed <= {str(world["ws"])}  # nothing else written or changed (the workspace got its file)
    assert not Path("/etc/reign-escape").exists() and not Path("/var/tmp/reign-escape-file").exists()
    assert (world["home"] / ".ssh/id_ed25519").read_text().count(KEY_BODY) == 1


def test_sandbox_alone_hides_credential_stores_reign_state_and_reigns_environment(
        world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    permissive_user_policy()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "reign-test-parent-env-value-0042")
    settings = Settings(workspace_root=world["ws"], tool_timeout=20, output_cap=20000)
    settings.sessions_db.parent.mkdir(parents=True, exist_ok=True)
    settings.sessions_db.write_text(f"not really a database {KEY_BODY}")
    ex = executor(settings)
    for path in ["~/.ssh/id_ed25519", "~/.aws/credentials", "~/.docker/config.json",
                 "~/.config/gcloud/application_default_credentials.json", "~/.azure/msal_token_cache.json",
                 "~/.gnupg/private.key", "~/.config/reign/config.toml", str(settings.sessions_db)]:
        out, record = bash(ex, f"cat {path}")
        assert out["exit_code"] != 0 and KEY_BODY not in record.output, path
    out, record = bash(ex, "grep -rla REIGN-TEST-PRIVATE-KEY-BODY ~ /tmp /var/tmp 2>/dev/null | head; echo searched")
    assert out["stdout"].strip().endswith("searched") and KEY_BODY[:20] not in record.output
    assert "REIGN-TEST" not in out["stdout"].replace("grep -rla", "")
    # Reign's own environment (the model keys) is out of reach: the process sees only its own PID namespace
    out, _ = bash(ex, "grep -qa reign-test-parent-env-value /proc/*/environ; echo found=$?")
    assert out["stdout"].strip() == "found=1"
    out, _ = bash(ex, "ps -e -o comm= | sort -u | tr '\\n' ' '")
    assert "pytest" not in out["stdout"] and "python" not in out["stdout"]


def test_reigns_caches_are_hidden_even_when_the_workspace_is_home(world: dict[str, Path]) -> None:
    """The parsed-policy and checked-examples caches live under ~/.cache/reign: a command that could write them
    (the workspace is HOME, so HOME is writable) could change what the gate allows next time."""
    permissive_user_policy()
    cache = world["home"] / ".cache" / "reign" / "yaml"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "policy.json").write_text('{"rules": []}')
    ex = executor(Settings(workspace_root=world["home"], tool_timeout=20))
    out, _ = bash(ex, "echo '{\"rules\": [{\"name\": \"all\"}]}' > ~/.cache/reign/yaml/policy.json; "
                      "ls ~/.cache/reign/yaml; echo done")
    assert out["stdout"].strip().endswith("done") and "policy.json" not in out["stdout"]
    assert (cache / "policy.json").read_text() == '{"rules": []}'
    out, _ = bash(ex, "touch ~/written-in-home && echo ok")
    assert out["stdout"].strip() == "ok" and (world["home"] / "written-in-home").exists()  # HOME itself is writable


def test_network_is_cut_by_the_setting_and_by_a_policy_rule(workdir: Path) -> None:
    permissive_user_policy()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]

    def accept() -> None:
        with contextlib.suppress(OSError):  # the socket is closed at the end of the test
            for _ in range(8):
                server.accept()

    threading.Thread(target=accept, daemon=True).start()
    probe = (f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 3); "
             "print('connected')\"")
    try:
        online = executor(Settings(workspace_root=workdir, tool_timeout=20))
        assert bash(online, probe)[0]["stdout"] == "connected\n"
        out, _ = bash(online, probe + " OFFLINE")  # the user rule with sandbox: {network: false} matches
        assert out["exit_code"] != 0 and "connected" not in out["stdout"]
        offline = executor(Settings(workspace_root=workdir, tool_timeout=20, sandbox_network=False))
        out, _ = bash(offline, probe)
        assert out["exit_code"] != 0 and "connected" not in out["stdout"]
        assert "Connection refused" in out["stderr"]  # a network namespace of its own: nothing listens there
    finally:
        server.close()


def test_a_timeout_kills_everything_inside_the_sandbox(workdir: Path) -> None:
    permissive_user_policy()
    ex = executor(Settings(workspace_root=workdir, tool_timeout=20))
    out, _ = bash(ex, "(sleep 4171 &) ; sleep 4171 & sleep 4172", timeout=1)
    assert out["timed_out"]
    import subprocess
    import time

    deadline = time.monotonic() + 5  # the kernel reaps a dead PID namespace's processes just after its init
    while (left := subprocess.run(["pgrep", "-ax", "sleep 417[12]"], capture_output=True, text=True).stdout) and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == ""


# ------------------------------------------------------------------------------------- CLIs inside it
@pytest.fixture
def home_kubeconfig(k8s_cluster: str, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The local cluster's kubeconfig copied to ~/.kube/config (a credential store the sandbox hides)."""
    target = isolated_home / ".kube" / "config"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(k8s_cluster, target)
    monkeypatch.setenv("KUBECONFIG", str(target))
    return target


@pytest.mark.docker
def test_docker_cli_works_inside_and_only_for_tools_that_declare_the_socket(
        docker_engine: str, workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    permissive_user_policy()
    tools = tmp_path_factory.mktemp("tools")
    (tools / "mine.yaml").write_text(yaml.safe_dump({"manager": "mine", "tools": [
        {"name": "my_docker_ps", "description": "docker ps", "effect": "read", "command": ["docker", "ps"]}]}))
    ex = executor(Settings(workspace_root=workdir, tool_timeout=30), tools_dirs=[tools])
    out, _ = bash(ex, "docker info --format '{{.ServerVersion}}' && docker ps --format '{{.ID}}' | wc -l")
    assert out["exit_code"] == 0, out
    undeclared, _ = bash(ex, "", tool="my_docker_ps")
    assert undeclared["exit_code"] != 0 and "docker daemon" in undeclared["stderr"].lower()


def test_git_works_inside(workdir: Path) -> None:
    permissive_user_policy()
    ex = executor(Settings(workspace_root=workdir, tool_timeout=30))
    out, _ = bash(ex, "git init -q . && git -c user.email=t@example.com -c user.name=t commit -q --allow-empty "
                      "-m first && git log --oneline | wc -l")
    assert out["exit_code"] == 0 and out["stdout"].strip() == "1", out
    assert (workdir / ".git" / "HEAD").is_file()


@pytest.mark.terraform
def test_terraform_works_inside_with_its_cli_config_outside_the_workspace(
        workdir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("terraform") is None:
        pytest.skip("no terraform binary on PATH")
    permissive_user_policy()
    rc = tmp_path_factory.mktemp("tfrc") / "terraform.rc"  # under the host's /tmp: shown because declared
    rc.write_text("disable_checkpoint = true\n")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    (workdir / "main.tf").write_text('resource "terraform_data" "x" { input = "hi" }\n'
                                     'output "greeting" { value = terraform_data.x.output }\n')
    ex = executor(Settings(workspace_root=workdir, tool_timeout=120))
    out, _ = bash(ex, "terraform init -input=false -no-color >/dev/null && terraform apply -auto-approve "
                      "-input=false -no-color >/dev/null && terraform output -raw greeting", timeout=120)
    assert out["exit_code"] == 0 and out["stdout"] == "hi", out
    assert (workdir / "terraform.tfstate").is_file()


@pytest.mark.kubernetes
@pytest.mark.helm
def test_kubectl_and_helm_work_inside_and_undeclared_tools_cannot_read_the_kubeconfig(
        home_kubeconfig: Path, workdir: Path, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest_k8s import helm_binary

    permissive_user_policy()
    helm = helm_binary()
    if helm:
        monkeypatch.setenv("PATH", f"{Path(helm).parent}{os.pathsep}{os.environ['PATH']}")
    tools = tmp_path_factory.mktemp("tools")
    (tools / "mine.yaml").write_text(yaml.safe_dump({"manager": "mine", "tools": [
        {"name": "my_cat", "description": "cat a file", "effect": "read", "command": ["cat", "{path}"],
         "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}]}))
    ex = executor(Settings(workspace_root=workdir, tool_timeout=60), tools_dirs=[tools])
    out, _ = bash(ex, "kubectl get namespaces -o name")
    assert out["exit_code"] == 0 and "namespace/default" in out["stdout"], out
    if helm:
        out, _ = bash(ex, "helm list -A -o json && helm create chart >/dev/null && helm template chart | head -3")
        assert out["exit_code"] == 0 and out["stdout"].startswith("["), out
    hidden, _ = bash(ex, "", tool="my_cat", path=str(home_kubeconfig))
    assert hidden["exit_code"] != 0 and "token" not in hidden["stdout"]


# ------------------------------------------------------------------------- no sandbox, unattended
def test_unattended_calls_refuse_to_start_processes_without_a_sandbox(
        workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """bubblewrap is installed here, so its absence is simulated (the probe says it is missing)."""
    permissive_user_policy()
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "bubblewrap (bwrap) is not installed")
    unattended = executor(Settings(workspace_root=workdir, tool_timeout=20))
    result, _ = unattended.execute(ToolCall(id="c", name="bash", args={"command": "touch ran"}), 1)
    assert result.is_error and "refused: no OS sandbox" in result.content and "unsandboxed_unattended" in \
        result.content
    assert not (workdir / "ran").exists()
    off = executor(Settings(workspace_root=workdir, tool_timeout=20, sandbox="off"))
    result, _ = off.execute(ToolCall(id="c", name="bash", args={"command": "touch ran"}), 1)
    assert result.is_error and not (workdir / "ran").exists()
    opted = executor(Settings(workspace_root=workdir, tool_timeout=20, unsandboxed_unattended=True))
    result, _ = opted.execute(ToolCall(id="c", name="bash", args={"command": "touch ran"}), 1)
    assert not result.is_error and (workdir / "ran").exists()
    assert "commands run with your full user rights" in capsys.readouterr().err
    attended = executor(Settings(workspace_root=workdir, tool_timeout=20), attended=True)
    result, _ = attended.execute(ToolCall(id="c", name="bash", args={"command": "touch ran2"}), 1)
    assert not result.is_error and (workdir / "ran2").exists()


def test_a_project_env_cannot_opt_out_of_the_sandbox_or_set_the_audit_key(workdir: Path) -> None:
    (workdir / ".env").write_text("REIGN_UNSANDBOXED_UNATTENDED=true\nREIGN_SANDBOX=off\n"
                                  "REIGN_SANDBOX_NETWORK=true\nREIGN_AUDIT_KEY=from-the-repo\n")
    settings = Settings()
    assert settings.unsandboxed_unattended is False and settings.sandbox == "auto"
    assert settings.audit_key is None


# ---------------------------------------------------------------------------------- declarations
@pytest.mark.parametrize(("spec", "message"), [
    ("yes", "`sandbox` is a mapping"),
    ({"writable": "~/.cache"}, "must be a list of paths"),
    ({"writable": ["relative/dir"]}, "must start with /, ~ or $VAR"),
    ({"writable": ["~"]}, "may not make / or the home directory writable"),
    ({"network": "off"}, "must be true or false"),
    ({"mounts": []}, "`sandbox` is a mapping"),
])
def test_the_catalogue_checks_a_tools_sandbox_declaration(tmp_path: Path, spec: Any, message: str) -> None:
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({"tools": [
        {"name": "t", "description": "d", "effect": "read", "command": ["true"], "sandbox": spec}]}))
    with pytest.raises(ReignError, match=r"bad\.yaml: tools\[0\] \(t\)") as err:
        Catalogue.load([tmp_path])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_declared_paths_expand_home_and_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path}/a{os.pathsep}{tmp_path}/b")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    real = Path(os.path.realpath(tmp_path))
    assert sandbox.expand("$KUBECONFIG") == [real / "a", real / "b"]
    assert sandbox.expand("$DOCKER_HOST") == [real / "docker.sock"]
    assert sandbox.expand("$UNSET_VARIABLE_X") == []
    assert sandbox.expand("~/.kube") == [Path(os.path.realpath(Path.home() / ".kube"))]
    spec = Catalogue.load().get("bash")
    assert spec is not None and "$KUBECONFIG" in spec.sandbox.needs


def test_a_rule_may_only_cut_the_network(tmp_path: Path) -> None:
    from reign.errors import PolicyError

    bad = tmp_path / "p.yaml"
    bad.write_text(yaml.safe_dump({"rules": [{"id": "x", "decision": "ask", "match": {"tool": "bash"},
                                              "sandbox": {"writable": ["/"]}}]}))
    with pytest.raises(PolicyError, match="may only hold `network: false`"):
        load_checked_policy([bad])



@pytest.mark.cicd
def test_act_and_the_workflow_validators_work_inside(tmp_path: Path) -> None:
    from test_cicd import RUN_ONLY, make_repo

    from reign.managers.cicd import host, run, validate
    from reign.toolcontext import ToolContext

    if host.find_tool("act") is None or host.find_tool("actionlint") is None:
        pytest.skip("act or actionlint not installed (pip install 'reign[cicd]')")
    settings = Settings(workspace_root=tmp_path, tool_timeout=90)
    ctx = ToolContext(settings=settings, cwd=tmp_path)
    make_repo(tmp_path / "r", {".github/workflows/local.yml": RUN_ONLY, "hello.txt": "hi\n"})
    tool = Catalogue.load().get("cicd_run_local")
    assert tool is not None
    with sandbox.confined(sandbox.profile_for(settings, tool.sandbox, unattended=True)):
        assert validate.validate(path="r", ctx=ctx)["ok"] is True
        assert validate.validate(content=RUN_ONLY, ctx=ctx)["ok"] is True  # drafts: checked in a shared scratch
        out = run.run_local(path="r", workflow=".github/workflows/local.yml", ctx=ctx)
    assert out["ok"] is True and "answer=42" in out["output"], out["output"]


def test_declarations_show_what_a_tool_needs_and_nothing_inside_it_that_is_hidden(
        world: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> None:
    permissive_user_policy()
    home = world["home"]
    (home / ".config" / "mine").mkdir(parents=True)
    tools = tmp_path_factory.mktemp("tools")
    schema = {"type": "object", "properties": {"script": {"type": "string"}}, "required": ["script"]}
    (tools / "mine.yaml").write_text(yaml.safe_dump({"manager": "mine", "tools": [
        {"name": "aws_reader", "description": "reads aws", "effect": "read", "command": ["bash", "-c", "{script}"],
         "input_schema": schema, "sandbox": {"needs": ["~/.aws"]}},
        {"name": "config_writer", "description": "writes ~/.config", "effect": "write",
         "command": ["bash", "-c", "{script}"], "input_schema": schema, "sandbox": {"writable": ["~/.config"]}},
    ]}))
    ex = executor(Settings(workspace_root=world["ws"], tool_timeout=20), tools_dirs=[tools])
    out, _ = bash(ex, "", tool="aws_reader", script="cat ~/.aws/credentials; cat ~/.ssh/id_ed25519")
    assert out["stdout"].startswith("[default]\naws_secret_access_key")  # its need (the value is redacted) ...
    assert "OPENSSH" not in out["stdout"] and "No such file" in out["stderr"]  # ... and not the ssh key
    out, _ = bash(ex, "", tool="config_writer", script="echo x > ~/.config/mine/state && cat "
                  "~/.config/gcloud/application_default_credentials.json ~/.config/reign/config.toml")
    assert (home / ".config" / "mine" / "state").read_text() == "x\n"  # the declared state folder is writable
    assert KEY_BODY not in out["stdout"] and out["exit_code"] != 0  # the stores inside it stay hidden
