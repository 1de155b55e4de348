"""The `reign` command line. No logic lives here: it parses options and calls into the package.

Imports are kept inside the commands so that `reign --help` does not pay for the SDKs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reign.errors import ReignError

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
    click.option("-v", "--verbose", is_flag=True, help="Log every step to stderr."),
    click.option("--resume", metavar="ID", help="Continue a stored session (its scope is kept; see `reign sessions`)."),
]


def _run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_RUN_OPTIONS):
        func = option(func)
    return func


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"reign: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reign")
def main() -> None:
    """Reign: an infrastructure agent behind a safety-policy gate."""


@main.command()
@click.argument("goal", required=False)
@_run_options
@click.option("--yes", "-y", is_flag=True, help="Approve `ask` decisions (never overrides a deny).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def run(goal: str | None, output: str, yes: bool, **opts: Any) -> None:
    """Work on one GOAL and stop. Exit code 0 only when the run completed."""
    from reign.commands import run_once

    if not goal and not opts.get("resume"):
        _fail("give a GOAL (or --resume ID \"<follow-up>\" to continue a session)")
    try:
        code = run_once(goal, output=output, yes=yes, **opts)
    except ReignError as exc:
        _fail(str(exc), 1)
    sys.exit(code)


@main.command()
@_run_options
def chat(**opts: Any) -> None:
    """Interactive session: approve asks as they come; /help lists the slash commands."""
    from reign.commands import chat_loop

    try:
        chat_loop(**opts)
    except ReignError as exc:
        _fail(str(exc), 1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.option("--tools-path", "tools_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
def tools(as_json: bool, tools_dirs: tuple[Path, ...]) -> None:
    """The tool catalogue: each tool's effect and whether this machine can serve it."""
    from reign.commands import list_tools

    try:
        list_tools(as_json=as_json, tools_dirs=list(tools_dirs))
    except ReignError as exc:
        _fail(str(exc), 1)


@main.group()
def policy() -> None:
    """Check calls against the policy, lint a policy file, show the layers."""


@policy.command("check")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--read-only", is_flag=True)
def policy_check(policies: tuple[Path, ...], read_only: bool) -> None:
    """Read tool calls as JSON lines on stdin ({"tool": ..., "args": {...}}); print one decision per line."""
    from reign.commands import check_calls

    try:
        sys.exit(check_calls(sys.stdin, sys.stdout, list(policies), read_only=read_only))
    except ReignError as exc:
        _fail(str(exc), 1)


@policy.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def policy_lint(files: tuple[Path, ...]) -> None:
    """Validate policy FILES over the defaults and run every rule's examples."""
    from reign.commands import lint_policy

    try:
        lint_policy(list(files))
    except ReignError as exc:
        _fail(str(exc), 1)


@policy.command("explain")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def policy_explain(policies: tuple[Path, ...], as_json: bool) -> None:
    """Show the effective layered policy: every rule, where it comes from, and what is disabled."""
    from reign.commands import explain_policy

    try:
        explain_policy(list(policies), as_json=as_json)
    except ReignError as exc:
        _fail(str(exc), 1)


@main.group()
def audit() -> None:
    """Read and verify the append-only audit trail."""


@audit.command("show")
@click.option("--session", help="Only this session.")
@click.option("--path", type=click.Path(dir_okay=False, path_type=Path), help="Audit file (default: configured).")
@click.option("--json", "as_json", is_flag=True)
def audit_show(session: str | None, path: Path | None, as_json: bool) -> None:
    """List the records of the trail (or of one session)."""
    from reign.commands import show_audit

    try:
        show_audit(path, session, as_json=as_json)
    except ReignError as exc:
        _fail(str(exc), 1)


@audit.command("verify")
@click.option("--path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--expect", metavar="SEQ:HASH", help="A head printed earlier and kept elsewhere: the trail must hold it.")
def audit_verify(path: Path | None, expect: str | None) -> None:
    """Check the hash chain and its head: any changed, removed, reordered or cut-off record fails."""
    from reign.commands import verify_audit

    try:
        sys.exit(verify_audit(path, expect=expect))
    except ReignError as exc:
        _fail(str(exc), 1)


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
    from reign.commands import list_sessions

    try:
        list_sessions(as_json=as_json, limit=limit)
    except ReignError as exc:
        _fail(str(exc), 1)


@sessions.command("show")
@click.argument("session_id")
def sessions_show(session_id: str) -> None:
    """Print the transcript of a session (an id prefix is enough)."""
    from reign.commands import show_session

    try:
        show_session(session_id)
    except ReignError as exc:
        _fail(str(exc), 1)


@sessions.command("export")
@click.argument("session_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
def sessions_export(session_id: str, out: Path | None) -> None:
    """Write a session (messages, calls with decisions and results, scope) as JSON."""
    from reign.commands import export_session

    try:
        export_session(session_id, out)
    except ReignError as exc:
        _fail(str(exc), 1)


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
    from reign.commands import serve_mcp

    try:
        serve_mcp(http=http, port=port, read_only=read_only, policies=list(policies), tools_dirs=list(tools_dirs))
    except ReignError as exc:
        _fail(str(exc), 1)


from reign.evals.cli import eval_group  # noqa: E402  (the `eval` group lives with the harness)
from reign.server.cli import serve, users  # noqa: E402  (click only; the server imports wait for the command)

main.add_command(eval_group)
main.add_command(serve)
main.add_command(users)


def entry() -> None:
    """The console script: a bug shows as one line (REIGN_DEBUG=1 for the traceback), never a traceback."""
    import os

    try:
        main()
    except KeyboardInterrupt:
        click.echo("reign: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("REIGN_DEBUG"):
            raise
        click.echo(f"reign: internal error: {type(exc).__name__}: {exc} (REIGN_DEBUG=1 shows the traceback)",
                   err=True)
        sys.exit(70)
if __name__ == "__main__":
    entry()
