"""Redaction: every secret of the corpus goes, every look-alike stays, structures are redacted by key."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from reign.redact import REDACTED, redact, redact_obj, secret_env_values

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "secrets_corpus.yaml").read_text())
SECRETS: list[dict[str, Any]] = CORPUS["secrets"]
BENIGN: list[dict[str, Any]] = CORPUS["benign"]


def _case(entry: dict[str, Any]) -> tuple[str, str]:
    secret = "".join(entry["secret"])
    return secret, entry["text"].replace("<<SECRET>>", secret)


def test_corpus_size() -> None:
    assert len(SECRETS) >= 40
    assert len(BENIGN) >= 25
    ids = [e["id"] for e in SECRETS + BENIGN]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("entry", SECRETS, ids=[e["id"] for e in SECRETS])
def test_secret_is_removed(entry: dict[str, Any]) -> None:
    secret, text = _case(entry)
    assert secret in text
    out = redact(text)
    assert secret not in out
    for piece in secret.replace("\\n", "\n").splitlines():  # every line of a multi-line secret (PEM body)
        if len(piece) >= 12 and "-----" not in piece:
            assert piece not in out
    assert f"[REDACTED:{entry['kind']}]" in out, out
    for kept in entry.get("keep", []):
        assert kept in text, f"bad corpus entry: {kept!r} not in the text"
        assert kept in out, f"{kept!r} was lost:\n{out}"


@pytest.mark.parametrize("entry", BENIGN, ids=[e["id"] for e in BENIGN])
def test_benign_text_is_unchanged(entry: dict[str, Any]) -> None:
    assert redact(entry["text"]) == entry["text"]


@pytest.mark.parametrize("entry", SECRETS, ids=[e["id"] for e in SECRETS])
def test_redaction_is_idempotent(entry: dict[str, Any]) -> None:
    once = redact(_case(entry)[1])
    assert redact(once) == once


def test_whole_corpus_in_one_text() -> None:
    """Secrets next to each other and to benign text: all go, the benign text stays."""
    cases = [_case(e) for e in SECRETS]
    benign = [e["text"] for e in BENIGN]
    text = "\n".join(t for _, t in cases) + "\n" + "\n".join(benign)
    out = redact(text)
    for secret, _ in cases:
        assert secret not in out
    for b in benign:
        assert b in out


def test_pem_block_is_removed_whole() -> None:
    body = "MIIEpAIBAAKCAQEA7bq" + "x" * 40 + "\nAbCdEf0123456789" * 3
    text = f"before\n-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\nafter"
    assert redact(text) == "before\n[REDACTED:private_key]\nafter"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://admin:S3cr3tP4ss@db:5432/app", "postgres://admin:[REDACTED:url_password]@db:5432/app"),
        ("export DB_PASSWORD='a b c d'", "export DB_PASSWORD='[REDACTED:password]'"),
        ('{"password":"p\\"q1234"}', '{"password":"[REDACTED:password]"}'),
        ('"{\\"token\\":\\"abc123def456\\"}"', '"{\\"token\\":\\"[REDACTED:token]\\"}"'),
        ("--token abc123def456 --verbose", "--token [REDACTED:token] --verbose"),
        ("--token --verbose", "--token --verbose"),
        ("INFO login password: s3cr3t!", "INFO login password: [REDACTED:password]"),
        ("mysql -u root -p mydb", "mysql -u root -p mydb"),
        ("mysql -uroot -pHunter22 mydb", "mysql -uroot -p[REDACTED:password] mydb"),
    ],
)
def test_exact_output(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_extra_values_are_removed_literally() -> None:
    text = "connected with hunter2-very-long as admin; hunter2-very-long again; short ab stays"
    out = redact(text, ["hunter2-very-long", "ab", ""])
    assert "hunter2-very-long" not in out
    assert out.count("[REDACTED:value]") == 2
    assert "short ab stays" in out


def test_secret_env_values(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "GITHUB_TOKEN": "ghp_" + "Z" * 36,
        "ANTHROPIC_API_KEY": "sk-ant-api03-" + "q" * 40,
        "MY_SERVICE_KEY": "k3y-value-0001",
        "DB_PASSWORD": "correct horse battery staple",
        "PGPASSWORD": "pg-pass-0001",
        "SMTP_PASS": "mail-pass-0001",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "GOOGLE_CREDENTIALS_JSON": '{"type": "service_account"}',
        "SHORT_TOKEN": "abc",  # too short to redact safely
        "HOME": "/root",
        "PWD": "/home/ops/infra",
        "KUBECONFIG": "/home/ops/.kube/config",
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/ops/gcp.json",
        "SSH_KEY": "/home/ops/.ssh/id_ed25519",  # a path, not a secret
        "DB_PASSWORD_FILE": "/run/secrets/db",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",  # an id (and caught by its own pattern)
        "TOKEN_BUDGET": "400000000",
        "EDITOR": "vim-with-long-name",
    }
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = secret_env_values()
    assert set(values) == {
        env[n] for n in ("GITHUB_TOKEN", "ANTHROPIC_API_KEY", "MY_SERVICE_KEY", "DB_PASSWORD", "PGPASSWORD",
                         "SMTP_PASS", "AWS_SECRET_ACCESS_KEY", "GOOGLE_CREDENTIALS_JSON")
    }
    assert values == sorted(values, key=len, reverse=True)
    assert secret_env_values(env) == values  # an explicit mapping gives the same answer
    # the values go wherever they appear, not only after `NAME=`
    text = "\n".join(f"echo {v} | base64; stored as <{v}>" for v in values)
    text += "\nHOME is /root, editor vim-with-long-name"
    out = redact(text, secret_env_values())
    for v in values:
        assert v not in out
    assert "HOME is /root, editor vim-with-long-name" in out


# ---------------------------------------------------------------------------------------------- redact_obj


def test_redact_obj_by_key_and_deep_copy() -> None:
    obj: dict[str, Any] = {
        "user": "app",
        "password": "hunter2",
        "nested": {"clientSecret": "abc", "apiKey": 12345, "token": None, "auth_enabled": True},
        "list": [{"Authorization": "Bearer x"}, "plain", "ghp_" + "a" * 36],
        "tuple": ("x", {"db_passwd": "y"}),
        "credentials": {"user": "bob", "pass": "pw", "port": 5432},
        "password_file": "/run/secrets/db",
        "max_tokens": 4096,
        "secretName": "db-creds",
        "auth": "on",
    }
    original = copy.deepcopy(obj)
    out = redact_obj(obj)
    assert obj == original  # untouched
    assert out["user"] == "app"
    assert out["password"] == REDACTED
    assert out["nested"] == {
        "clientSecret": REDACTED, "apiKey": REDACTED, "token": None, "auth_enabled": True}
    assert out["list"] == [{"Authorization": REDACTED}, "plain", "[REDACTED:github_token]"]
    assert out["tuple"] == ("x", {"db_passwd": REDACTED})
    assert out["credentials"] == {"user": REDACTED, "pass": REDACTED, "port": REDACTED}
    assert out["password_file"] == "/run/secrets/db"
    assert out["max_tokens"] == 4096
    assert out["secretName"] == "db-creds"
    assert out["auth"] == "on"  # a weak name with a value that is not a credential


def test_redact_obj_kubernetes_secret() -> None:
    last_applied = json.dumps({"apiVersion": "v1", "kind": "Secret", "data": {"password": "aHVudGVyMg=="}})
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": last_applied, "owner": "team-a"}},
        "data": {"username": "YWRtaW4=", "password": "aHVudGVyMg=="},
        "stringData": {"extra": "plain text"},
        "type": "Opaque",
    }
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                  "data": {"LOG": "info"}}
    out = redact_obj({"kind": "List", "items": [secret, config_map]})
    s, c = out["items"]
    assert s["data"] == {"username": REDACTED, "password": REDACTED}
    assert s["stringData"] == {"extra": REDACTED}
    assert s["metadata"]["annotations"] == {"kubectl.kubernetes.io/last-applied-configuration": REDACTED,
                                            "owner": "team-a"}
    assert s["type"] == "Opaque"
    assert c["data"] == {"LOG": "info"}
    assert "aHVudGVyMg" not in json.dumps(out)


def test_redact_obj_env_pairs_and_docker_config() -> None:
    pod_env = [{"name": "DB_PASSWORD", "value": "s3cret-value"}, {"name": "DB_HOST", "value": "postgres"},
               {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "t", "key": "token"}}}]
    assert redact_obj(pod_env) == [{"name": "DB_PASSWORD", "value": REDACTED}, pod_env[1], pod_env[2]]
    docker = {"auths": {"ghcr.io": {"auth": "Y2ktYm90OnM0Y3JldFBhc3M="}}, "credsStore": "desktop"}
    assert redact_obj(docker) == {"auths": {"ghcr.io": {"auth": REDACTED}}, "credsStore": "desktop"}


def test_redact_obj_strings_and_models_and_extra_values() -> None:
    from pydantic import BaseModel

    class Call(BaseModel):
        tool: str
        args: dict[str, Any]

    command = "curl -H 'Authorization: Bearer abcdef123456789'"
    call = Call(tool="bash", args={"command": command, "token": "t0k3n"})
    assert redact_obj(call) == {
        "tool": "bash",
        "args": {"command": "curl -H 'Authorization: Bearer [REDACTED:authorization]'", "token": REDACTED},
    }
    assert redact_obj(["my-literal-secret-1 here"], extra_values=["my-literal-secret-1"]) == [
        "[REDACTED:value] here"]
    assert redact_obj(42) == 42
    assert redact_obj(None) is None
