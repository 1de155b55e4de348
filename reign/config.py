"""Settings from the environment (REIGN_*), a `.env` file and an optional TOML config file.

Precedence, highest first: command-line flags (applied by the CLI), environment, `.env`, config file.
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_PROTECTED_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"]


def config_file() -> Path:
    env = os.environ.get("REIGN_CONFIG")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "reign" / "config.toml"


def state_dir() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "reign"


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Settings are read several times per process; a warning about them is printed once."""
    if message not in _warned:
        _warned.add(message)
        print(f"reign: warning: {message}", file=sys.stderr)


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


# REIGN_* names read outside Settings (os.environ), so that a .env naming them is not warned about
OTHER_ENV_NAMES = frozenset({"REIGN_TOOLS_PATH", "REIGN_CONFIG", "REIGN_DEBUG", "REIGN_TERRAFORM_BACKEND",
                             "REIGN_HELM_ENGINE", "REIGN_APPROVAL_TTL", "REIGN_DATABASE_URL", "REIGN_PUBLIC_URL",
                             "REIGN_WEBHOOK_URL", "REIGN_WORKER_ID", "REIGN_FOUR_EYES"})


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        from reign.errors import ReignError

        path = config_file()
        if not path.is_file():
            return {}
        import tomllib  # only when there is a config file: every start pays for what it imports

        try:
            with path.open("rb") as fh:
                data: dict[str, Any] = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ReignError(f"{path}: not valid TOML: {exc}; fix that line (or set REIGN_CONFIG to "
                             "another file)") from None
        except OSError as exc:
            raise ReignError(f"cannot read {path}: {exc.strerror or exc}") from None
        section = data.get("reign", data)
        if not isinstance(section, dict):
            return {}
        known = sorted(Settings.model_fields)
        for key in section:
            if key not in Settings.model_fields:
                warn_once(f"{path}: unknown setting {key!r} ignored{_did_you_mean(key, known)}")
        return {k: v for k, v in section.items() if k in Settings.model_fields}


class McpSandbox(BaseModel):
    """What an MCP server may see in the OS sandbox besides the workspace (as a tool declares it in YAML)."""

    needs: list[str] = Field(default_factory=list)  # hidden paths it must read (e.g. "~/.config/gh")
    writable: list[str] = Field(default_factory=list)  # state folders it writes
    network: bool = True


class McpServer(BaseModel):
    """An MCP server Reign starts (stdio) whose tools join the catalogue as `<prefix>_<tool>`."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)  # over a minimal inherited environment (no secrets)
    prefix: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,31}$")  # default: the name
    effect: Literal["read", "write", "destructive"] = "write"  # for the gate: write -> ask by default
    sandbox: McpSandbox = Field(default_factory=McpSandbox)  # the server runs under bubblewrap like a tool


# A `.env` sits in the directory Reign works in, which a cloned repository (or the agent, with
# approval) may have written. Like a project policy, it may only tighten: it cannot point Reign at other
# policy files, tool code or MCP servers, widen the Kubernetes scope, or unprotect anything.
_PROJECT_MAY_NOT_SET = frozenset({
    "policy_files", "tools_dirs", "mcp_servers", "audit_dir", "sessions_db", "database_url", "workspace_root",
    "kube_context",
    "kube_namespaces", "kube_impersonate_user", "kube_impersonate_group", "kube_impersonate_groups",
    "kube_production_pattern",
    "protected_namespaces", "protected_branches",
    "kube_secret_values", "github_base_url", "github_clone_url", "github_work_dir", "docker_host",
    "allow_destructive", "terraform_production", "provider", "model", "base_url",
    "sandbox", "sandbox_network", "sandbox_hidden", "unsandboxed_unattended", "audit_key",
    "log_file",  # appends to any file it names
})
_TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y", "t"})


class _ProjectDotenv(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = self.inner()
        where = Path(".env").resolve()
        dropped = sorted(k for k in values if k in _PROJECT_MAY_NOT_SET)
        if "read_only" in values and str(values["read_only"]).strip().lower() not in _TRUE_WORDS:
            dropped.append("read_only")  # any false-like spelling (off, no, n, f, False...) would loosen
        if dropped:
            warn_once(f"ignoring {', '.join(dropped)} from {where} (a project file may only tighten; "
                      "set them in the environment or ~/.config/reign/config.toml)")
        _warn_unknown_env_names(where)
        return {k: v for k, v in values.items() if k not in dropped}


def _warn_unknown_env_names(path: Path) -> None:
    """A misspelt REIGN_* line in .env would silently do nothing: say so, with the likely name."""
    if not path.is_file():
        return
    from dotenv import dotenv_values

    known = sorted({f"REIGN_{name.upper()}" for name in Settings.model_fields} | OTHER_ENV_NAMES)
    for key in dotenv_values(path):
        name = key.upper().split("__", 1)[0]
        if name.startswith("REIGN_") and name not in known:
            warn_once(f"{path}: unknown setting {key}{_did_you_mean(name, known)}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REIGN_", env_file=".env", extra="ignore", env_nested_delimiter="__", populate_by_name=True,
        env_ignore_empty=True,  # `.env.example` copied as it is leaves unset settings at their defaults
    )

    provider: Literal["anthropic", "openai"] = "anthropic"
    model: str = ""
    base_url: str | None = None
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    request_timeout: float = 120.0
    request_attempts: int = 4  # per model request: 429, 5xx and timeouts are retried

    max_steps: int = 20
    token_budget: int = 400_000
    time_limit: float = 900.0
    tool_timeout: float = 60.0
    output_cap: int = 16_000

    tools_dirs: list[Path] = Field(default_factory=list)  # plus REIGN_TOOLS_PATH (os.pathsep-separated)
    policy_files: list[Path] = Field(default_factory=list)
    read_only: bool = False
    # Destructive operations (deletes, uninstalls, destroys, rm...) are denied unless this is on; when on,
    # a person is asked and --yes never approves them. ENABLE_DESTRUCTIVE_COMMANDS is the original plan's name.
    allow_destructive: bool = Field(default=False, validation_alias=AliasChoices(
        "allow_destructive", "REIGN_ALLOW_DESTRUCTIVE", "ENABLE_DESTRUCTIVE_COMMANDS"))
    tool_loading: Literal["lazy", "eager"] = "lazy"
    audit_dir: Path = Field(default_factory=lambda: state_dir() / "audit")
    sessions_db: Path = Field(default_factory=lambda: state_dir() / "sessions.db")
    # Reign's database (sessions, the audit head, the server's tables): the SQLite file sessions_db unless a URL
    # names another one (PostgreSQL for a team). Secret: a URL may carry a password.
    database_url: SecretStr | None = Field(default=None, validation_alias=AliasChoices(
        "database_url", "REIGN_DATABASE_URL", "DATABASE_URL"))
    mcp_servers: list[McpServer] = Field(default_factory=list)

    workspace_root: Path = Field(default_factory=Path.cwd)
    kube_context: str | None = None
    kube_namespaces: list[str] = Field(default_factory=list)
    # Kubernetes impersonation (Impersonate-User, one Impersonate-Group header per group): the cluster's own
    # RBAC then applies to this person; the kubeconfig's credentials need the `impersonate` verb. Set per user
    # by `reign serve`. Groups are sent only with a user (the API server refuses them alone); the one-group
    # setting predates the list and both are sent.
    kube_impersonate_user: str | None = None
    kube_impersonate_group: str | None = None
    kube_impersonate_groups: list[str] = Field(default_factory=list)
    kube_production_pattern: str = r"(^|[-_.])(prod|production|live)([-_.]|$)"
    kube_secret_values: bool = False  # let k8s_get reveal Secret values when a call asks (the policy still asks)
    protected_namespaces: list[str] = Field(default_factory=lambda: list(DEFAULT_PROTECTED_NAMESPACES))
    protected_branches: list[str] = Field(default_factory=lambda: ["main", "master", "release/*"])
    terraform_production: list[str] = Field(default_factory=list)  # dir/workspace globs: only reads run there
    docker_host: str | None = None
    github_token: SecretStr | None = Field(default=None, validation_alias="GITHUB_TOKEN")
    github_base_url: str = "https://api.github.com"
    github_clone_url: str | None = None  # template with {owner} {repo} {full_name}; default from base URL
    github_work_dir: Path | None = None  # where change-as-PR clones live (default: state dir)

    # The OS sandbox behind the gate (reign/sandbox.py, docs/SANDBOX.md). User settings only: a project .env
    # cannot change them. `off` runs processes unconfined; unattended runs then refuse to start them unless
    # `unsandboxed_unattended` is true.
    sandbox: Literal["auto", "off"] = "auto"
    sandbox_network: bool = True  # false: no process started for a tool call has a network
    sandbox_hidden: list[str] = Field(default_factory=list)  # more paths hidden from every process
    unsandboxed_unattended: bool = False
    audit_key: SecretStr | None = None  # HMAC key for the audit chain: a rewritten chain fails verify

    log_level: Literal["debug", "info", "warning", "error"] | None = None  # JSON step logs, off when unset
    log_file: Path | None = None  # logs go here instead of stderr
    prices: dict[str, tuple[float, float]] = Field(default_factory=dict)  # model -> US$ per Mtok (in, out)

    @property
    def database(self) -> str:
        """The URL of Reign's database: `database_url`, else the SQLite file `sessions_db`."""
        if self.database_url:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.sessions_db.expanduser()}"

    @field_validator("request_timeout", "time_limit", "tool_timeout")
    @classmethod
    def _positive_seconds(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be a number of seconds greater than 0")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ProjectDotenv(settings_cls, dotenv_settings),
                _TomlSource(settings_cls))
