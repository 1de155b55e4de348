"""`reign chat`: an interactive session as a terminal program.

On a terminal the prompt is prompt_toolkit's: line editing, a history kept across sessions in the state
folder, Alt-Enter (or Esc then Enter) for a new line, tab completion of the slash commands. Ctrl-C clears
the line, or stops the running step; a second Ctrl-C at an empty prompt, or Ctrl-D, leaves. Without a
terminal (piped input) lines are read plainly, one per goal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from reign.cli_actions import (
    check_writable,
    close_audit,
    load_settings,
    logger,
    policy_rows,
    provider_session,
    tool_rows,
)
from reign.signals import Stopped, received, stop_on_signals
from reign.types import Usage

COMMANDS = {
    "/help": "this list",
    "/tools": "the tools and which managers this machine can serve",
    "/policy": "the policy layers and how many rules decide allow / ask / deny",
    "/session": "this session's id and how to resume it",
    "/model": "the provider and model in use",
    "/cost": "tokens used in this chat and the estimated cost",
    "/clear": "forget the conversation and the session's approvals (a new session)",
    "/exit": "leave (also Ctrl-D)",
}
ALIASES = {"/quit": "/exit", "/reset": "/clear", "/q": "/exit"}


class Prompt:
    """Reads one entry: prompt_toolkit on a terminal, plain lines otherwise. None means leave."""

    def __init__(self, history_file: Any, note: Callable[[str], None]) -> None:
        self.note = note
        self.session: Any = None
        self._interrupts = 0
        if sys.stdin.isatty() and sys.stdout.isatty():
            self.session = _prompt_session(history_file)

    def read(self) -> str | None:
        if self.session is None:
            try:
                return input("you> ")
            except Stopped:
                raise
            except (EOFError, KeyboardInterrupt):
                print()
                return None
        while True:
            try:
                line: str = self.session.prompt("you> ")
            except Stopped:
                raise
            except EOFError:
                return None
            except KeyboardInterrupt:  # only raised at an empty prompt (see the key binding)
                self._interrupts += 1
                if self._interrupts >= 2:
                    return None
                self.note("(Ctrl-C again or Ctrl-D to leave)")
                continue
            self._interrupts = 0
            return line


def _prompt_session(history_file: Any) -> Any:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("c-c")
    def _clear_or_leave(event: Any) -> None:
        buffer = event.app.current_buffer
        if buffer.text:
            buffer.reset()
        else:
            event.app.exit(exception=KeyboardInterrupt())

    @bindings.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.app.current_buffer.insert_text("\n")

    class RedactedHistory(FileHistory):
        """What was typed is kept for Up and Ctrl-R, with secrets redacted, readable by the user only."""

        def store_string(self, string: str) -> None:
            from reign.redact import redact

            super().store_string(redact(string))

    try:
        history_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(history_file, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
        history: Any = RedactedHistory(str(history_file))
    except OSError:
        history = InMemoryHistory()
    words = [*COMMANDS, *ALIASES]
    return PromptSession(history=history, key_bindings=bindings, multiline=False,
                         completer=WordCompleter(words, sentence=True), complete_while_typing=False)


def chat_loop(**opts: Any) -> None:
    from reign import cli, sessions
    from reign.agent import Agent
    from reign.approval_prompt import ConsoleApprover
    from reign.config import state_dir
    from reign.console import Console
    from reign.wiring import Options, build_agent

    settings = load_settings(opts)
    check_writable(settings)
    session = sessions.plan(settings, opts)  # on --resume: the stored scope, flags checked
    settings = session.settings
    with stop_on_signals(), provider_session(settings, opts) as provider:
        console = Console(model=provider.model, prices=settings.prices)
        options = Options(plan=session, approver=ConsoleApprover(console), log=logger(settings, opts))

        def fresh(plan: sessions.Plan) -> Agent:
            agent = build_agent(settings, provider, replace(options, plan=plan))
            agent.on_step = lambda step, calls: console.show_step(step, agent.messages[-1].text, calls)
            agent.on_result = console.show_outcome
            # A cassette holds whole JSON responses, not event streams: replays are not streamed.
            agent.on_text = None if opts.get("cassette") and not opts.get("record") else console.stream_text
            return agent

        agent = fresh(session)
        cli.start_collector()
        if agent.messages:
            console.note(f"resumed session {session.id} ({len(agent.messages)} messages of context)")
        offered = agent.executor.catalogue.offered(read_only=settings.read_only)
        console.out.print(f"reign chat - {provider.name}/{provider.model}, {len(offered)} tools. "
                          "/help for commands, Ctrl-D to leave.", markup=False)
        prompt = Prompt(state_dir() / "chat_history", console.note)
        used = Usage()
        while True:
            line = prompt.read()
            if line is None:
                return
            command = line.strip()
            command = ALIASES.get(command, command)
            if not command:
                continue
            if command == "/exit":
                return
            if command == "/help":
                for name, text in COMMANDS.items():
                    console.note(f"{name:9} {text}")
                console.note("Alt-Enter: new line. Ctrl-C: clear the line or stop the running step.")
            elif command == "/tools":
                from reign.tables import tools_table

                tools_table(console.out, tool_rows(settings))
            elif command == "/policy":
                layers, rows = policy_rows(list(session.policies), settings)
                active = [r for r in rows if not r["disabled_by"]]
                counts = {d: sum(1 for r in active if r["decision"] == d) for d in ("allow", "ask", "deny")}
                console.note(f"layers: {', '.join(layers)}; {len(active)} rules: "
                             + ", ".join(f"{n} {d}" for d, n in counts.items())
                             + (" (read-only)" if settings.read_only else "") + "; `reign policy explain` lists them")
            elif command == "/session":
                console.note(f"session {session.id}; `reign chat --resume {session.id}` continues it, "
                             f"`reign sessions show {session.id}` prints it")
            elif command == "/model":
                console.note(f"{provider.name}/{provider.model} (change it with --provider/--model or REIGN_MODEL)")
            elif command == "/cost":
                from reign.pricing import describe

                console.note(describe(used, provider.model, settings.prices))
            elif command == "/clear":
                session = sessions.start(settings, resume=None, read_only=None, policies=session.policies)
                agent = fresh(session)  # a new session: no history, fresh approvals too
                console.note(f"conversation and session approvals cleared; new session {session.id}")
            elif command.startswith("/") and "/" not in command.split()[0][1:]:  # not a path like /etc/hosts
                console.note(f"unknown command {command}; /help lists them")
            else:
                console.busy("waiting for the model")
                try:
                    result = session.run(agent, line)
                finally:
                    console.idle()
                used = used + result.usage
                close_audit(agent, result)
                console.end_turn(result)
                signum = received()
                if signum is not None:  # SIGTERM / SIGHUP stopped the step: the chat ends too
                    raise Stopped(signum)
