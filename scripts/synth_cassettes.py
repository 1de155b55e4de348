"""Write the synthesized provider cassettes that the tests and examples replay.

No LLM API is reachable from the machines these were made on, so each cassette is written here in
the provider's documented wire format (Anthropic Messages, OpenAI Chat Completions) and says
`synthesized` in its first line. Run `python scripts/synth_cassettes.py` after changing a scenario;
tests/test_cassette_loop.py fails when a cassette on disk differs from what this script writes.
A scenario is a list of model turns; each turn is text and/or tool calls, or an HTTP error.

Each request is written as the loop sends it, in the same wire format: the goal, every earlier assistant
turn with its tool calls, and a tool result answering each call (the prompt, the goal and the tools' output
are placeholders: replay does not compare words), and the tools offered (lazy loading: `loading: always`
tools, the loader, and the managers loaded so far), of which only those the scenario calls are written.
Replay (reign/cassettes.py) checks those parts, so a loop that drops a tool result misses its cassette.
One scenario per provider is an event stream (`stream: True`), as the SDKs read it when text is streamed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SYSTEM, GOAL, OUTPUT = "<system prompt>", "<goal>", "<tool output>"
HOSTS = {"anthropic": "https://api.anthropic.com/v1/messages",
         "openai": "https://api.openai.com/v1/chat/completions"}


def call(name: str, args: Any) -> dict[str, Any]:
    return {"name": name, "args": args}


def error(status: int, kind: str, message: str, retry_after: str | None = None) -> dict[str, Any]:
    return {"error": status, "kind": kind, "message": message, "retry_after": retry_after}


# name -> (description, turns)
SCENARIOS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "basic": ("one bash call, then an answer", [
        {"text": "I'll count the files.", "calls": [call("bash", {"command": "ls -1 | wc -l"})]},
        {"text": "There are as many files as the count above shows."},
    ]),
    "multi": ("two tool calls in one turn, each gets its own result", [
        {"calls": [call("bash", {"command": "echo alpha"}), call("bash", {"command": "echo beta"})]},
        {"text": "Both commands ran: alpha and beta."},
    ]),
    "schema": ("a schema violation goes back to the model, which corrects itself", [
        {"calls": [call("bash", {"cmd": "echo fixed"})]},
        {"calls": [call("bash", {"command": "echo fixed"})]},
        {"text": "Done after correcting the arguments."},
    ]),
    "unknown": ("an unknown tool name goes back to the model as an error", [
        {"calls": [call("kubectl_magic", {"all": True})]},
        {"text": "That tool does not exist; nothing was run."},
    ]),
    "retry": ("an overloaded / rate-limited API answers, is retried, then succeeds", [
        {"http_error": True},
        {"calls": [call("bash", {"command": "echo after-retry"})]},
        {"text": "Worked on the second attempt."},
    ]),
    "never_stops": ("a model that never stops calling tools is cut at max steps", [
        {"calls": [call("bash", {"command": "echo again"})]},
        {"calls": [call("bash", {"command": "echo again"})]},
        {"calls": [call("bash", {"command": "echo again"})]},
    ]),
    "slow_tool": ("a tool that runs past its timeout is killed and reported", [
        {"calls": [call("bash", {"command": "sleep 30; echo never", "timeout": 1})]},
        {"text": "The command timed out."},
    ]),
    "big_output": ("an output larger than the cap is cut to head and tail", [
        {"calls": [call("bash", {"command": "seq 1 200000"})]},
        {"text": "The sequence ends at 200000."},
    ]),
    "injection": ("a tool output tells the model to wipe the home directory; the gate denies it", [
        {"calls": [call("bash", {"command": "cat notes.txt"})]},
        {"calls": [call("bash", {"command": "rm -rf ~"})]},
        {"text": "The notes asked me to delete the home directory; the policy refused, so I did nothing."},
    ]),
    "malformed": ("the model sends arguments that are not JSON (OpenAI-style string arguments)", [
        {"calls": [call("bash", "{\"command\": \"echo broken")]},
        {"calls": [call("bash", {"command": "echo repaired"})]},
        {"text": "Repaired."},
    ]),
    "bad_request": ("a 400 from the API ends the run with a clear error", [
        {"http_error": True, "status": 400},
    ]),
    "yes_wipe": ("under --yes, a model tries to wipe HOME and run destructive and unknown commands; "
                 "only the routine write runs", [
        {"text": "Cleaning up.", "calls": [call("bash", {"command": "cd ~ && rm -rf -- *"})]},
        {"calls": [call("bash", {"command": "rm -rf ~/notes"})]},
        {"calls": [call("bash", {"command": "python3 -c \"import shutil, os; "
                                            "shutil.rmtree(os.path.expanduser('~/notes'))\""})]},
        {"calls": [call("bash", {"command": "echo pwned > ~/notes/todo.txt"})]},
        {"calls": [call("bash", {"command": "find ~ -type f -delete"})]},
        {"calls": [call("bash", {"command": "frobnicate --purge-all"})]},
        {"calls": [call("bash", {"command": "kubectl delete namespace team-a"})]},
        {"calls": [call("bash", {"command": "mkdir -p out && echo done > out/status.txt"})]},
        {"text": "Only the status file was written; everything else was refused."},
    ]),
    "stream": ("streamed text and a streamed tool call, then a streamed answer (server-sent events)", [
        {"text": "Counting the files.", "calls": [call("bash", {"command": "ls -1 | wc -l"})], "stream": True},
        {"text": "The count is in the tool output above.", "stream": True},
    ]),
}


def _anthropic_body(turn: dict[str, Any], i: int, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if turn.get("text"):
        content.append({"type": "text", "text": turn["text"]})
    for j, c in enumerate(turn.get("calls", [])):
        content.append({"type": "tool_use", "id": f"toolu_{i:02d}{j:02d}synth", "name": c["name"], "input": c["args"]})
    return {"id": f"msg_synth{i:03d}", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": "tool_use" if turn.get("calls") else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 900 + 150 * i, "output_tokens": 40 + 5 * i}}


def _openai_body(turn: dict[str, Any], i: int, model: str) -> dict[str, Any]:
    calls = [{"id": f"call_{i:02d}{j:02d}synth", "type": "function",
              "function": {"name": c["name"], "arguments": c["args"] if isinstance(c["args"], str)
                           else json.dumps(c["args"])}} for j, c in enumerate(turn.get("calls", []))]
    message: dict[str, Any] = {"role": "assistant", "content": turn.get("text") or None, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    return {"id": f"chatcmpl-synth{i:03d}", "object": "chat.completion", "created": 1795000000 + i, "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 900 + 150 * i, "completion_tokens": 40 + 5 * i,
                      "total_tokens": 940 + 155 * i}}


def _error_body(provider: str, status: int) -> tuple[dict[str, Any], str]:
    if provider == "anthropic":
        kind = {529: "overloaded_error", 400: "invalid_request_error"}.get(status, "rate_limit_error")
        msg = {529: "Overloaded", 400: "messages: text content blocks must be non-empty"}.get(status, "Rate limited")
        return {"type": "error", "error": {"type": kind, "message": msg}}, msg
    kind = {429: "rate_limit_exceeded", 400: "invalid_request_error"}.get(status, "server_error")
    msg = {429: "Rate limit reached for requests", 400: "Invalid 'messages': empty content"}.get(status, "error")
    return {"error": {"message": msg, "type": kind, "param": None, "code": kind}}, msg


def _offered(turns: list[dict[str, Any]], upto: int) -> list[str]:
    """The tools a lazy-loading run offers before turn `upto` that this scenario relies on."""
    from reign.catalogue import Catalogue

    tools = Catalogue.load(check_schemas=False).tools.values()
    called = {c["name"] for t in turns for c in t.get("calls", [])}
    loaded = {m for t in turns[:upto] if not t.get("http_error") for c in t.get("calls", [])
              if c["name"] == "use_tools" for m in c["args"]["managers"]}
    return [t.name for t in tools
            if (t.loading != "manager" or t.manager in loaded) and (t.loading != "manager" or t.name in called)]


def _echo(args: Any) -> Any:
    return {} if isinstance(args, str) else args  # arguments that were not JSON come back as {}


def _anthropic_request(turns: list[dict[str, Any]], upto: int, model: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": GOAL}]}]
    for i, turn in enumerate(turns[:upto]):
        if turn.get("http_error"):
            continue
        blocks = [{"type": "text", "text": turn["text"]}] if turn.get("text") else []
        blocks += [{"type": "tool_use", "id": f"toolu_{i:02d}{j:02d}synth", "name": c["name"],
                    "input": _echo(c["args"])} for j, c in enumerate(turn.get("calls", []))]
        messages.append({"role": "assistant", "content": blocks})
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": f"toolu_{i:02d}{j:02d}synth", "content": OUTPUT,
             "is_error": False} for j, _ in enumerate(turn.get("calls", []))]})
    body: dict[str, Any] = {"model": model, "max_tokens": 4096, "system": SYSTEM, "messages": messages,
                            "tools": [{"name": n} for n in _offered(turns, upto)], "tool_choice": {"type": "auto"}}
    if turns[upto].get("stream"):
        body["stream"] = True
    return body


def _openai_request(turns: list[dict[str, Any]], upto: int, model: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": GOAL}]
    for i, turn in enumerate(turns[:upto]):
        if turn.get("http_error"):
            continue
        calls = [{"id": f"call_{i:02d}{j:02d}synth", "type": "function",
                  "function": {"name": c["name"], "arguments": json.dumps(_echo(c["args"]))}}
                 for j, c in enumerate(turn.get("calls", []))]
        assistant: dict[str, Any] = {"role": "assistant", "content": turn.get("text") or None}
        if calls:
            assistant["tool_calls"] = calls
        messages.append(assistant)
        messages += [{"role": "tool", "tool_call_id": c["id"], "content": OUTPUT} for c in calls]
    body: dict[str, Any] = {"model": model, "max_completion_tokens": 4096, "messages": messages,
                            "tools": [{"type": "function", "function": {"name": n}} for n in _offered(turns, upto)],
                            "tool_choice": "auto"}
    if turns[upto].get("stream"):
        body.update(stream=True, stream_options={"include_usage": True})
    return body


def _sse(events: list[tuple[str | None, dict[str, Any] | str]]) -> str:
    out = []
    for name, data in events:
        line = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        out.append((f"event: {name}\n" if name else "") + f"data: {line}\n\n")
    return "".join(out)


def _anthropic_stream(body: dict[str, Any]) -> str:
    """The Messages API's server-sent events for `body`: text in two deltas, each tool input in one."""
    start = {**body, "content": [], "stop_reason": None, "usage": {**body["usage"], "output_tokens": 1}}
    events: list[tuple[str | None, dict[str, Any] | str]] = [
        ("message_start", {"type": "message_start", "message": start})]
    for k, block in enumerate(body["content"]):
        if block["type"] == "text":
            events.append(("content_block_start", {"type": "content_block_start", "index": k,
                                                   "content_block": {"type": "text", "text": ""}}))
            half = len(block["text"]) // 2
            for piece in (block["text"][:half], block["text"][half:]):
                events.append(("content_block_delta", {"type": "content_block_delta", "index": k,
                                                       "delta": {"type": "text_delta", "text": piece}}))
        else:
            events.append(("content_block_start", {"type": "content_block_start", "index": k, "content_block": {
                "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}))
            events.append(("content_block_delta", {"type": "content_block_delta", "index": k, "delta": {
                "type": "input_json_delta", "partial_json": json.dumps(block["input"])}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": k}))
    delta = {"stop_reason": body["stop_reason"], "stop_sequence": None}
    events.append(("message_delta", {"type": "message_delta", "delta": delta,
                                     "usage": {"output_tokens": body["usage"]["output_tokens"]}}))
    events.append(("message_stop", {"type": "message_stop"}))
    return _sse(events)


def _openai_stream(body: dict[str, Any]) -> str:
    """Chat Completions chunks for `body`: text in two deltas, each tool call's arguments in one, usage last."""
    message = body["choices"][0]["message"]
    head = {k: body[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    events: list[tuple[str | None, dict[str, Any] | str]] = [(None, chunk({"role": "assistant", "content": ""}))]
    text = message.get("content") or ""
    if text:
        half = len(text) // 2
        events += [(None, chunk({"content": text[:half]})), (None, chunk({"content": text[half:]}))]
    for k, c in enumerate(message.get("tool_calls") or []):
        events.append((None, chunk({"tool_calls": [{"index": k, "id": c["id"], "type": "function",
                                                    "function": {"name": c["function"]["name"], "arguments": ""}}]})))
        arguments = {"arguments": c["function"]["arguments"]}
        events.append((None, chunk({"tool_calls": [{"index": k, "function": arguments}]})))
    events.append((None, chunk({}, body["choices"][0]["finish_reason"])))
    events.append((None, {**head, "choices": [], "usage": body["usage"]}))
    events.append((None, "[DONE]"))
    return _sse(events)


def interaction(provider: str, turns: list[dict[str, Any]], i: int) -> dict[str, Any]:
    turn = turns[i]
    model = "claude-sonnet-5-5" if provider == "anthropic" else "gpt-5.5"
    headers: dict[str, list[str]] = {"content-type": ["application/json"]}
    if turn.get("http_error"):
        status = turn.get("status") or (529 if provider == "anthropic" else 429)
        body, _ = _error_body(provider, status)
        if status in (429, 529):
            headers["retry-after"] = ["0"]
        reason = {400: "Bad Request", 429: "Too Many Requests", 529: "Overloaded"}[status]
    else:
        status, reason = 200, "OK"
        body = _anthropic_body(turn, i, model) if provider == "anthropic" else _openai_body(turn, i, model)
    text = json.dumps(body)
    if turn.get("stream"):
        headers["content-type"] = ["text/event-stream; charset=utf-8"]
        text = _anthropic_stream(body) if provider == "anthropic" else _openai_stream(body)
    request = _anthropic_request(turns, i, model) if provider == "anthropic" else _openai_request(turns, i, model)
    return {
        "request": {"body": json.dumps(request), "headers": {}, "method": "POST", "uri": HOSTS[provider]},
        "response": {"status": {"code": status, "message": reason}, "headers": headers, "body": {"string": text}},
    }


def render(provider: str, description: str, turns: list[dict[str, Any]]) -> str:
    """The cassette's text: what `write` puts on disk, and what the drift test compares against."""
    doc = {"interactions": [interaction(provider, turns, i) for i in range(len(turns))], "version": 1}
    header = (f"# reign cassette: synthesized ({provider} wire format, written by scripts/synth_cassettes.py;"
              f" not recorded from a live API)\n# scenario: {description}\n")
    return header + yaml.safe_dump(doc, sort_keys=False, width=120)


def write(path: Path, provider: str, description: str, turns: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(provider, description, turns))


def all_cassettes() -> list[tuple[Path, str, str, list[dict[str, Any]]]]:
    """(path, provider, description, turns) of every cassette this script writes."""
    out = [(ROOT / "cassettes" / provider / f"{name}.yaml", provider, description, turns)
           for provider in ("anthropic", "openai") for name, (description, turns) in SCENARIOS.items()]
    return out + [(ROOT / path, provider, description, turns) for path, provider, description, turns in EXTRA]


EXTRA: list[tuple[Path, str, str, list[dict[str, Any]]]] = [
    (Path("examples/machine-report/cassette.yaml"), "anthropic",
     "inspect the machine with read-only commands, then ask to save a report in the working directory", [
        {"text": "I'll look at the kernel, the disk and the biggest folders here.",
         "calls": [call("bash", {"command": "uname -sr"}), call("bash", {"command": "df -h / | tail -1"}),
                   call("bash", {"command": "du -sh ./* 2>/dev/null | sort -h | tail -3"})]},
        {"text": "I'll save that as machine-report.txt in this folder.",
         "calls": [call("bash", {"command": "uname -sr > machine-report.txt"})]},
        {"text": "Kernel, root disk usage and the three largest entries here are in the tool output above. "
                 "Saving them to machine-report.txt in this folder needs your approval (re-run with --yes, "
                 "or use `reign chat` to approve it), so nothing was written."},
    ]),
    # cassettes/cli: what the CLI tests (golden output, the pseudo-terminal chat, signals) replay
    (Path("cassettes/cli/failing.yaml"), "anthropic", "two calls in one step: one fails with exit code 2", [
        {"text": "I'll check both.", "calls": [call("bash", {"command": "ls /nonexistent-reign-path"}),
                                                call("bash", {"command": "echo fine"})]},
        {"text": "The first check failed with exit code 2; the second printed fine."},
    ]),
    (Path("cassettes/cli/refused.yaml"), "anthropic", "a write that needs approval, refused without --yes", [
        {"text": "I'll write the note.", "calls": [call("bash", {"command": "echo hello > note.txt"})]},
        {"text": "Writing note.txt needs your approval, so nothing was written."},
    ]),
    (Path("cassettes/cli/chat.yaml"), "anthropic", "a chat: a write to approve, then a long step to interrupt", [
        {"text": "I'll write the note.", "calls": [call("bash", {"command": "echo hello > note.txt"})]},
        {"text": "Wrote note.txt."},
        {"text": "Waiting, as asked.", "calls": [call("bash", {"command": "sleep 987.25"})]},
    ]),
    (Path("cassettes/cli/long_step.yaml"), "anthropic", "a long command, for the signal tests", [
        {"calls": [call("bash", {"command": "sleep 987.5; echo never"})]},
        {"text": "done"},
    ]),
    (Path("examples/docker-web/cassette.yaml"), "anthropic",
     "start a web container on 127.0.0.1:18080 and check that it answers", [
        {"text": "I'll load the Docker tools.", "calls": [call("use_tools", {"managers": ["docker"]})]},
        {"calls": [call("docker_run", {
            "image": "reign-test/busybox:latest", "name": "reign-web", "network_mode": "host",
            "command": "echo 'hello from reign' > /www/index.html && httpd -f -p 127.0.0.1:18080 -h /www",
            "labels": {"reign-example": "docker-web"}, "restart_policy": "unless-stopped"})]},
        {"calls": [call("docker_exec", {"container": "reign-web",
                                        "command": ["wget", "-qO-", "http://127.0.0.1:18080/"]})]},
        {"text": "reign-web is running on the host network and answers on http://127.0.0.1:18080/ "
                 "with 'hello from reign'."},
    ]),
    (Path("examples/terraform-apply/cassette.yaml"), "anthropic",
     "plan and apply a Terraform change, then read its output", [
        {"calls": [call("use_tools", {"managers": ["terraform"]})]},
        {"calls": [call("terraform_init", {"dir": "infra"})]},
        {"calls": [call("terraform_plan", {"dir": "infra"})]},
        {"calls": [call("terraform_apply", {"dir": "infra"})]},
        {"calls": [call("terraform_output", {"dir": "infra"})]},
        {"text": "Applied the saved plan (1 to add) after approval; the output greeting is shown above."},
    ]),
    (Path("examples/containerize-web/cassette.yaml"), "anthropic",
     "containerise a small web app: a Dockerfile through an approved diff, built, run, answering on 127.0.0.1", [
        {"text": "I'll look at the app and the templates first.",
         "calls": [call("use_tools", {"managers": ["files", "docker"]})]},
        {"calls": [call("file_templates", {"path": "webapp"})]},
        {"text": "It is a Python app; I'll generate a Dockerfile for it (you approve the diff).",
         "calls": [call("file_generate", {"template": "dockerfile", "path": "webapp", "params": {"port": 18092}})]},
        {"calls": [call("file_validate", {"path": "webapp"})]},
        {"calls": [call("docker_build", {"path": "webapp", "tag": "reign-example/webapp:0.1.0",
                                         "labels": {"reign-example": "containerize-web"}})]},
        {"calls": [call("docker_run", {"image": "reign-example/webapp:0.1.0", "name": "reign-webapp",
                                       "network_mode": "host", "labels": {"reign-example": "containerize-web"}})]},
        {"text": "The Dockerfile (multi-stage, non-root user 10001, healthcheck) passed hadolint; the image "
                 "built and reign-webapp runs on the host network, serving http://127.0.0.1:18092/."},
    ]),
    (Path("examples/terraform-module/cassette.yaml"), "anthropic",
     "write a Terraform module through an approved diff, validate it and plan it", [
        {"calls": [call("use_tools", {"managers": ["files", "terraform"]})]},
        {"calls": [call("file_generate", {"template": "terraform-module", "path": "modules/greeting",
                                          "params": {"name": "greeting",
                                                     "description": "Says hello from Reign."}})]},
        {"calls": [call("file_validate", {"path": "modules/greeting"})]},
        {"calls": [call("terraform_init", {"dir": "modules/greeting"})]},
        {"calls": [call("terraform_plan", {"dir": "modules/greeting"})]},
        {"text": "The module modules/greeting is written (versions, variables, main, outputs, README), passes "
                 "terraform fmt and validate, and plans 1 resource to add. Nothing was applied."},
    ]),
    (Path("examples/k8s-troubleshoot/cassette.yaml"), "anthropic",
     "a deployment's pods never start: find why from pods and events, patch it, watch the rollout", [
        {"text": "I'll look at the workload first.", "calls": [call("use_tools", {"managers": ["kubernetes"]})]},
        {"calls": [call("k8s_get", {"kind": "pods", "namespace": "reign-shop"}),
                   call("k8s_events", {"namespace": "reign-shop", "warnings_only": True})]},
        {"calls": [call("k8s_describe", {"kind": "deployment", "name": "web", "namespace": "reign-shop"})]},
        {"text": "The pods are Pending: FailedScheduling, no node matches the nodeSelector disktype=ssd. "
                 "I'll remove the selector.",
         "calls": [call("k8s_patch", {"kind": "deployment", "name": "web", "namespace": "reign-shop",
                                      "patch": [{"op": "remove", "path": "/spec/template/spec/nodeSelector"}],
                                      "patch_type": "json"})]},
        {"calls": [call("k8s_rollout_status", {"name": "web", "namespace": "reign-shop", "wait_seconds": 90})]},
        {"text": "web was stuck because its pods asked for a node with disktype=ssd and no node has that "
                 "label. After approval I removed the nodeSelector; the rollout status above shows the result."},
    ]),
    (Path("examples/helm-chart/cassette.yaml"), "anthropic",
     "create a chart, lint it, and render it with production values (no cluster needed)", [
        {"calls": [call("use_tools", {"managers": ["helm"]})]},
        {"calls": [call("helm_create", {"name": "shop"})]},
        {"calls": [call("helm_lint", {"chart": "shop", "values_files": ["values-prod.yaml"]})]},
        {"calls": [call("helm_template", {"chart": "shop", "release": "shop", "namespace": "shop",
                                          "values_files": ["values-prod.yaml"],
                                          "show_only": ["templates/deployment.yaml"]})]},
        {"text": "Created the chart `shop`, it lints clean with values-prod.yaml, and the rendered Deployment "
                 "above uses 3 replicas and image tag 1.4.2."},
    ]),
]


def main() -> int:
    cassettes = all_cassettes()
    for path, provider, description, turns in cassettes:
        write(path, provider, description, turns)
    print(f"wrote {len(cassettes)} cassettes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
