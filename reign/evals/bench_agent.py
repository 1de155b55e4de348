"""`reign-bench-agent`: Reign behind the command-line contract of kubectl-ai, so k8s-ai-bench can score it.

The k8s-ai-bench harness runs its agent binary with kubectl-ai's flags
    --kubeconfig PATH --llm-provider NAME --enable-tool-use-shim=BOOL --quiet=BOOL --model NAME
    --trace-path PATH --skip-permissions --show-tool-output [--mcp-client]
writes the task's prompts to stdin (one line per step) and closes it, then reads stdout: the text after
the last `Running:` line is the agent's answer, matched against the task's expectations. So: every line
of stdin is one step of the same conversation; before each tool call `Running: <command>` is printed
(a kubectl command line where the call maps to one); the answer follows. `--skip-permissions` means
unattended: routine asks are approved, refusals stay refusals. REIGN_CASSETTE replays a cassette.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from reign.errors import ReignError
from reign.terminal import inert

# kubectl-ai's provider names -> (Reign provider, OpenAI-compatible base URL, key variable)
PROVIDERS: dict[str, tuple[str, str | None, str | None]] = {
    "anthropic": ("anthropic", None, None),
    "openai": ("openai", None, None),
    "gemini": ("openai", "https://generativelanguage.googleapis.com/v1beta/openai/", "GEMINI_API_KEY"),
    "grok": ("openai", "https://api.x.ai/v1", "GROK_API_KEY"),
    "ollama": ("openai", "http://localhost:11434/v1", None),
    "llamacpp": ("openai", "http://localhost:8080/v1", None),
}


def _flag_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "t", "yes"):
        return True
    if lowered in ("false", "0", "f", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {value!r}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="reign-bench-agent", description=__doc__.splitlines()[0] if __doc__ else "")
    p.add_argument("--kubeconfig", help="Kubeconfig of the cluster the tasks run on.")
    p.add_argument("--llm-provider", default="anthropic", help=f"One of: {', '.join(PROVIDERS)}.")
    p.add_argument("--model", default="", help="Model name (default: the provider's default).")
    for flag in ("--enable-tool-use-shim", "--quiet", "--mcp-client"):  # Go-style booleans: --flag or --flag=false
        p.add_argument(flag, type=_flag_bool, nargs="?", const=True, default=False, metavar="BOOL")
    p.add_argument("--trace-path", type=Path, help="Where to write the trace of the run (YAML).")
    p.add_argument("--skip-permissions", action="store_true", help="Unattended: approve routine calls only.")
    p.add_argument("--show-tool-output", action="store_true", help="Print each tool's output after its command.")
    p.add_argument("--max-steps", type=int, default=None, help="Most model requests per step (Reign's default 20).")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        code = run(args, sys.stdin.read())
    except ReignError as exc:
        print(f"reign-bench-agent: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def _settings(args: argparse.Namespace, cassette: Path | None) -> Any:
    from pydantic import SecretStr

    from reign.cassettes import header_line
    from reign.cli_actions import load_settings

    if args.llm_provider not in PROVIDERS:
        raise ReignError(f"unknown --llm-provider {args.llm_provider!r}; Reign speaks: {', '.join(PROVIDERS)} "
                         "(or any OpenAI-compatible server through REIGN_BASE_URL with --llm-provider openai)")
    provider, base_url, key_var = PROVIDERS[args.llm_provider]
    if cassette is not None:  # a replay speaks the wire format it was recorded in
        provider = "openai" if "openai wire format" in header_line(cassette) else "anthropic"
        base_url = key_var = None
    if args.llm_provider == "ollama" and os.environ.get("OLLAMA_HOST"):
        base_url = os.environ["OLLAMA_HOST"].rstrip("/") + "/v1"
    settings = load_settings({"provider": provider, "model": args.model or None, "max_steps": args.max_steps,
                              "base_url": base_url})
    updates: dict[str, Any] = {"workspace_root": Path.cwd()}
    if key_var and os.environ.get(key_var):
        updates["openai_api_key"] = SecretStr(os.environ[key_var])
    return settings.model_copy(update=updates)


def run(args: argparse.Namespace, stdin_text: str) -> int:
    from contextlib import nullcontext

    from reign.approval import NonInteractive
    from reign.cassettes import cassette
    from reign.evals.commands import command_line
    from reign.evals.unattended import Unattended
    from reign.providers import make_provider
    from reign.types import CallRecord, ToolCall, ToolResult
    from reign.wiring import Options, build_agent, new_session_id

    steps = [line.strip() for line in stdin_text.splitlines() if line.strip()]
    if not steps:
        raise ReignError("no prompt on stdin (one line per step)")
    if args.kubeconfig:
        os.environ["KUBECONFIG"] = str(Path(args.kubeconfig).expanduser())
    tape_env = os.environ.get("REIGN_CASSETTE", "").strip()
    tape = Path(tape_env) if tape_env else None
    settings = _settings(args, tape)
    approver: Any = Unattended() if args.skip_permissions else NonInteractive(yes=False)
    trace: list[dict[str, Any]] = []
    with cassette(tape) if tape else nullcontext():
        provider = make_provider(settings, replaying=tape is not None)
        agent = build_agent(settings, provider, Options(approver=approver, session=new_session_id()))
        execute = agent.executor.execute

        def announced(call: ToolCall, step: int) -> tuple[ToolResult, CallRecord]:
            print(f"Running: {inert(command_line(call.name, call.args))}", flush=True)
            result, record = execute(call, step)
            if args.show_tool_output:
                print(inert(result.content), flush=True)
            return result, record

        agent.executor.execute = announced  # type: ignore[method-assign]
        code = 0
        for prompt in steps:
            result = agent.run(prompt)
            if result.final:
                print(inert(result.final), flush=True)
            if result.stop_reason == "error":
                print(f"reign-bench-agent: {inert(result.error)}", file=sys.stderr)
                code = 1
            trace.append({"prompt": prompt, "stop_reason": result.stop_reason, "error": result.error,
                          "steps": result.steps, "usage": result.usage.model_dump(), "answer": result.final,
                          "calls": [{"command": command_line(c.tool, c.args), **c.model_dump(
                              include={"tool", "args", "decision", "rule", "reason", "approved", "ok", "output"})}
                              for c in result.tool_calls]})
            if code:
                break
    if args.trace_path:
        _write_trace(args.trace_path, {"agent": "reign", "provider": provider.name, "model": provider.model,
                                       "skip_permissions": args.skip_permissions, "steps": trace})
    return code


def _write_trace(path: Path, data: dict[str, Any]) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120))


if __name__ == "__main__":
    main()
