"""The `reign` command line. No logic lives here: it parses options and calls into the package.

Imports are kept inside the commands so that `reign --help` does not pay for the SDKs. Every command's
errors go through one handler (`ReignGroup.invoke`): a mistake is one line and exit 1 (2 for usage),
a signal exits 128+N, and only a bug says `internal error`. Command groups that live in other modules
are registered in `EXTRA_COMMANDS` (name -> "module:attribute"), loaded only when used or listed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

# One place to add a command group kept in another module: name -> "module:attribute".
EXTRA_COMMANDS: dict[str, str] = {
    "eval": "reign.evals.cli:eval_group",  # the eval harness and its reports
    "serve": "reign.server.cli:serve",  # the HTTP server and web console
    "users": "reign.server.cli:users",
}

_RUN_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--provider", type=click.Choice(["anthropic", "openai"]), help="Model provider API."),
    click.option("--model", help="Model name."),
    click.option("--base-url", help="API base URL (OpenAI-compatible servers: Ollama, vLLM, LM Studio)."),
    click.option("--max-steps", type=click.IntRange(1, 500), help="Most model requests in one run (default 20)."),
    click.option("--token-budget", type=click.IntRange(1), help="Stop once this many tokens were used."),
    click.option("--time-limit", type=click.FloatRange(1), help="Wall-clock limit in seconds."),
    click.option("--cassette", type=click.Path(path_type=Path), help="Replay provider HTTP from this vcrpy cassette."),
    click.option("--record", is_flag=True, help="With --cassette: record a live session into it (needs a key)."),
    click.option("--read-only", is_flag=True, default=None, help="Offer and allow only read tools."),
    click.option("--policy", "policies", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Extra policy file (repeatable); layered over the defaults."),
    click.option("--tools-path", "tools_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
                 help="Extra tool catalogue folder (repeatable)."),
    click.option("-v", "--verbose", is_flag=True, help="Log every step to stderr (JSON; see REIGN_LOG_LEVEL)."),
    click.option("--resume", metavar="ID", help="Continue a stored session (its scope is kept; see `reign sessions`)."),
]


def _run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_RUN_OPTIONS):
        func = option(func)
    return func


def one_line_error(exc: BaseException) -> str | None:
    """The line a person reads for an expected failure, or None for a bug."""
    from reign.errors import ReignError

    if isinstance(exc, ReignError):
        return str(exc)
    if type(exc).__name__ == "ValidationError" and type(exc).__module__.startswith("pydantic"):
        from reign.cli_actions import settings_error

        return settings_error(exc)
    if isinstance(exc, PermissionError | IsADirectoryError | NotADirectoryError | FileNotFoundError) and exc.filename:
        return f"cannot use {exc.filename}: {exc.strerror}"
    return None


class ReignGroup(click.Group):
    """The one error handler for every command, and lazy command groups from other modules."""

    def invoke(self, ctx: click.Context) -> Any:
        from reign.signals import Stopped, exit_code

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Stopped as stop:
            click.echo(f"reign: stopped by {stop}", err=True)
            sys.exit(exit_code(stop.signum))
        except KeyboardInterrupt:
            click.echo("reign: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            line = one_line_error(exc)
            if line is None:
                raise
            click.echo(f"reign: {line}", err=True)
            sys.exit(1)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *EXTRA_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in EXTRA_COMMANDS and name not in self.commands:
            import importlib

            module, _, attr = EXTRA_COMMANDS[name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


@click.group(cls=ReignGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reign")
def main() -> None:
    """Reign: an infrastructure agent behind a safety-policy gate.

    Shell completion: eval "$(_REIGN_COMPLETE=bash_source reign)" (zsh_source, fish_source).
    """


@main.command()
@click.argument("goal", required=False)
@_run_options
@click.option("--yes", "-y", is_flag=True, help="Approve `ask` decisions (never overrides a deny).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Print only the final answer (text output).")
def run(goal: str | None, output: str, yes: bool, quiet: bool, **opts: Any) -> None:
    """Work on one GOAL and stop. Exit 0 when it completed, 1 when not, 130/143/129 when a signal stopped it."""
    rest_collector()
    from reign.cli_actions import run_once

    if goal is None and not opts.get("resume"):
        raise click.UsageError("give a GOAL (or --resume ID \"<follow-up>\" to continue a session)")
    sys.exit(run_once(goal, output=output, yes=yes, quiet=quiet, **opts))


@main.command()
@_run_options
def chat(**opts: Any) -> None:
    """Interactive session: approve asks as they come; /help lists the slash commands."""
    rest_collector()
    from reign.chat import chat_loop

    chat_loop(**opts)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.option("--tools-path", "tools_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
def tools(as_json: bool, tools_dirs: tuple[Path, ...]) -> None:
    """The tool catalogue: each tool's effect, and the managers this machine cannot serve (with why)."""
    from reign.cli_actions import list_tools

    list_tools(as_json=as_json, tools_dirs=list(tools_dirs))


@main.group()
def policy() -> None:
    """Check calls against the policy, lint a policy file, show the layers."""


@policy.command("check")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--read-only", is_flag=True)
def policy_check(policies: tuple[Path, ...], read_only: bool) -> None:
    """Read tool calls as JSON lines on stdin ({"tool": ..., "args": {...}}); print one decision per line."""
    rest_collector()
    from reign.cli_actions import check_calls

    sys.exit(check_calls(sys.stdin, sys.stdout, list(policies), read_only=read_only))


@policy.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def policy_lint(files: tuple[Path, ...]) -> None:
    """Validate policy FILES over the defaults and run every rule's examples."""
    from reign.cli_actions import lint_policy

    lint_policy(list(files))


@policy.command("explain")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def policy_explain(policies: tuple[Path, ...], as_json: bool) -> None:
    """Show the effective layered policy: every rule, where it comes from, and what is disabled."""
    from reign.cli_actions import explain_policy

    explain_policy(list(policies), as_json=as_json)


@main.group()
def audit() -> None:
    """Read and verify the append-only audit trail."""


@audit.command("show")
@click.option("--session", help="Only this session.")
@click.option("--tool", help="Only calls of this tool.")
@click.option("--decision", type=click.Choice(["allow", "ask", "deny"]), help="Only calls the gate decided so.")
@click.option("--tail", type=click.IntRange(1), metavar="N", help="Only the last N records (after the filters).")
@click.option("--path", type=click.Path(dir_okay=False, path_type=Path), help="Audit file (default: configured).")
@click.option("--json", "as_json", is_flag=True)
def audit_show(session: str | None, tool: str | None, decision: str | None, tail: int | None, path: Path | None,
               as_json: bool) -> None:
    """List the records of the trail: each call with its command or arguments, decision and result."""
    from reign.cli_actions import show_audit

    show_audit(path, session, as_json=as_json, tool=tool, decision=decision, tail=tail)


@audit.command("verify")
@click.option("--path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--expect", metavar="SEQ:HASH", help="A head printed earlier and kept elsewhere: the trail must hold it.")
def audit_verify(path: Path | None, expect: str | None) -> None:
    """Check the hash chain and its head: any changed, removed, reordered or cut-off record fails."""
    from reign.cli_actions import verify_audit

    sys.exit(verify_audit(path, expect=expect))


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.pass_context
def sessions(ctx: click.Context, as_json: bool, limit: int) -> None:
    """Stored runs and chats: list them (the default), show one, export one as JSON."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(sessions_list, as_json=as_json, limit=limit)


@sessions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
def sessions_list(as_json: bool, limit: int) -> None:
    """Id, goal, start, status, steps and tokens of the latest sessions."""
    from reign.cli_actions import list_sessions

    list_sessions(as_json=as_json, limit=limit)


@sessions.command("show")
@click.argument("session_id")
def sessions_show(session_id: str) -> None:
    """Print the transcript of a session (an id prefix is enough)."""
    from reign.cli_actions import show_session

    show_session(session_id)


@sessions.command("export")
@click.argument("session_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
def sessions_export(session_id: str, out: Path | None) -> None:
    """Write a session (messages, calls with decisions and results, scope) as JSON."""
    from reign.cli_actions import export_session

    export_session(session_id, out)


@main.group()
def mcp() -> None:
    """The Model Context Protocol: serve Reign's gated tools to MCP clients."""


@mcp.command("serve")
@click.option("--http", is_flag=True, help="Streamable HTTP on 127.0.0.1 instead of stdio.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="With --http.")
@click.option("--read-only", is_flag=True, help="Offer and allow only read tools.")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tools-path", "tools_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
def mcp_serve(http: bool, port: int, read_only: bool, policies: tuple[Path, ...], tools_dirs: tuple[Path, ...]) -> None:
    """Offer the available tools over MCP; every call passes the gate and lands in the audit trail."""
    from reign.cli_actions import serve_mcp

    serve_mcp(http=http, port=port, read_only=read_only, policies=list(policies), tools_dirs=list(tools_dirs))




OWN_PROCESS = False  # True under the console script (entry): the process ends with the command


def entry() -> None:
    """The console script: a bug shows as one line (REIGN_DEBUG=1 for the traceback), never a traceback."""
    import os

    global OWN_PROCESS
    OWN_PROCESS = True
    try:
        main()
    except SystemExit:  # click ends every command so, 0 included
        _before_exit()
        raise
    except Exception as exc:
        if os.environ.get("REIGN_DEBUG"):
            raise
        click.echo(f"reign: internal error: {type(exc).__name__}: {exc} (REIGN_DEBUG=1 shows the traceback)",
                   err=True)
        sys.exit(70)


def rest_collector() -> None:
    """In the console script's own process, before a command's heavy imports (settings, the provider SDK, the
    agent): what they make lives as long as the process, so the cycle collector need not scan it over and over
    as it grows (a full collection alone is ~0.1 s). What exists now is frozen out of the collector, which
    rests until the command calls `start_collector`, before its loop. Not in a host process
    (tests, an embedding program), whose objects are not ours to pin."""
    if OWN_PROCESS:
        import gc

        gc.freeze()
        gc.disable()


def start_collector() -> None:
    """The command's long-lived objects are made (the agent built, the policy loaded): they stay frozen, and
    the collector works again for the loop."""
    import gc

    if OWN_PROCESS:
        gc.freeze()
    gc.enable()


def _before_exit() -> None:
    """The process ends now and the OS takes back its memory: the collector need not walk every object left
    (interpreter shutdown otherwise runs full collections over them, ~60 ms after `reign policy check`).
    atexit handlers still run and objects still close as their last reference goes; only objects caught in
    reference cycles are left unfinalized, which Python never promises at exit anyway (gc.freeze)."""
    import gc

    gc.freeze()


if __name__ == "__main__":
    entry()
