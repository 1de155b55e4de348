"""2. Fixed prompt overhead: tokens of the system prompt plus the tool schemas carried by every request.

Every tool list is serialised the same way for Reign and for the peers: the OpenAI Chat Completions
`tools` array (what Reign's OpenAI adapter and HolmesGPT via litellm send), as compact JSON, counted
with tiktoken. Whatever the catalogue holds at run time is measured, and listed.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from benchmarks import peers as peer_mod
from benchmarks.common import ROOT, BenchResult, Config, Row, compact_json, count_tokens, run, tail, tokenizer_source

TARGET = 3000


def openai_tools(specs: list[Any]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": s.name, "description": s.description,
                                              "parameters": s.input_schema}} for s in specs]


def overhead(system: str, tools: list[dict[str, Any]]) -> dict[str, int]:
    s = count_tokens(system) if system else 0
    t = count_tokens(compact_json(tools)) if tools else 0
    return {"system": s, "tools": t, "total": s + t, "n_tools": len(tools)}


def bench(cfg: Config) -> BenchResult:
    assert cfg.sandbox is not None
    res = BenchResult()
    count_tokens("warm up")
    res.say(f"  tokenizer: {tokenizer_source()}")
    res.details["tokenizer"] = tokenizer_source()
    with cfg.sandbox.active():
        reign = _reign_figures(res)
    lazy = reign["lazy_all"]["total"]
    eager = reign["eager_all"]["total"]
    n_avail = reign["managers_available_here"]
    res.rows.append(Row("2 prompt", "lazy, as shipped: bash + use_tools, every manager available", lazy, "tokens",
                        reference="eager, same catalogue", ref_value=eager, target=f"< {TARGET:,}",
                        ok=lazy < TARGET, note=f"system {reign['lazy_all']['system']} + schemas "
                                               f"{reign['lazy_all']['tools']}; managers counted: "
                                               + ", ".join(f"{m} ({len(t)})" for m, t in reign["managers"].items())))
    res.rows.append(Row("2 prompt", f"eager (opt-in): all {reign['eager_all']['n_tools']} schemas", eager, "tokens",
                        reference="lazy", ref_value=lazy, note="settings.tool_loading = eager"))
    res.rows.append(Row("2 prompt", f"lazy, this machine ({len(n_avail)} managers usable here)",
                        reign["lazy_here"]["total"], "tokens", reference="lazy, every manager", ref_value=lazy,
                        note=f"eager here: {reign['eager_here']['total']:,}"))
    for manager, fig in reign["per_manager"].items():
        res.rows.append(Row("2 prompt", f"lazy + `{manager}` loaded ({fig['n_manager_tools']} tools)", fig["total"],
                            "tokens", reference="lazy", ref_value=lazy, note="after use_tools"))
    if cfg.peers:
        _peer_rows(res, cfg, lazy, eager)
    else:
        res.rows.append(Row("2 prompt", "peers", None, "", note="skipped: --no-peers was given"))
    _task_success(res, cfg)
    return res


def _reign_figures(res: BenchResult) -> dict[str, Any]:
    from reign.catalogue import Catalogue
    from reign.toolset import Toolset
    from reign.wiring import system_prompt

    system = system_prompt()
    catalogue = Catalogue.load()
    managers: dict[str, list[str]] = {}
    here: list[str] = []
    for tool in catalogue.tools.values():
        managers.setdefault(tool.manager, []).append(tool.name)
    for manager, names in managers.items():
        if catalogue.unavailable_reason(catalogue.tools[names[0]]) is None:
            here.append(manager)
    everything = Catalogue(tools={n: dataclasses.replace(t, available=None) for n, t in catalogue.tools.items()})
    counted = ", ".join(f"{m} ({len(v)})" for m, v in sorted(managers.items()))
    res.say(f"  managers counted (tools): {counted}; usable on this machine: {', '.join(sorted(here))}")
    out: dict[str, Any] = {
        "managers": {m: sorted(v) for m, v in sorted(managers.items())},
        "managers_available_here": sorted(here),
        "system_prompt_tokens": count_tokens(system),
        "lazy_all": overhead(system, openai_tools(Toolset(everything, lazy=True).specs())),
        "eager_all": overhead(system, openai_tools(Toolset(everything, lazy=False).specs())),
        "lazy_here": overhead(system, openai_tools(Toolset(catalogue, lazy=True).specs())),
        "eager_here": overhead(system, openai_tools(Toolset(catalogue, lazy=False).specs())),
        "per_manager": {},
    }
    groups = Toolset(everything, lazy=True).managers()
    for manager in sorted(groups):
        fig = overhead(system, openai_tools(Toolset(everything, lazy=True, loaded={manager}).specs()))
        fig["n_manager_tools"] = len(groups[manager])
        out["per_manager"][manager] = fig
    heaviest = sorted(((count_tokens(compact_json(t)), t["function"]["name"])
                       for t in openai_tools(Toolset(everything, lazy=False).specs())), reverse=True)
    out["heaviest_schemas"] = [{"tool": n, "tokens": k} for k, n in heaviest[:12]]
    res.details["reign"] = out
    res.say(f"  reign: lazy {out['lazy_all']['total']} tokens (system {out['system_prompt_tokens']}), "
            f"eager {out['eager_all']['total']}, per manager loaded: "
            + ", ".join(f"{m} {f['total']}" for m, f in out["per_manager"].items()))
    return out


def _peer_rows(res: BenchResult, cfg: Config, lazy: int, eager: int) -> None:
    assert cfg.sandbox is not None
    res.details["peers"] = {}
    holmes = peer_mod.holmesgpt()
    res.details["peers"]["holmesgpt"] = {"status": holmes.status, "version": holmes.version, "notes": holmes.notes}
    if holmes.ok:
        for key, label in (("enabled", "as its CLI sends it here"), ("all", "every CLI toolset enabled")):
            part = holmes.data[key]
            fig = overhead(part["system"], part["tools"])
            res.details["peers"]["holmesgpt"][key] = {**fig, "toolsets": part["toolsets"]}
            res.rows.append(Row("2 prompt", f"peer holmesgpt {holmes.version}: {label} ({fig['n_tools']} tools)",
                                fig["total"], "tokens", reference="Reign lazy", ref_value=lazy,
                                note=f"system {fig['system']:,} + schemas {fig['tools']:,}; "
                                     f"{len(part['toolsets'])} toolsets"))
            res.say(f"  holmesgpt {key}: {fig}")
    else:
        res.rows.append(Row("2 prompt", "peer holmesgpt", None, "tokens", note=holmes.status))
        res.say(f"  holmesgpt: {holmes.status}")
    k8s = peer_mod.kubernetes_mcp_server(cfg.sandbox.root)
    res.details["peers"]["kubernetes-mcp-server"] = {"status": k8s.status, "version": k8s.version,
                                                     "notes": k8s.notes}
    for note in k8s.notes:
        res.say(f"  kubernetes-mcp-server: {note}")
    if k8s.ok:
        for label, part in k8s.data.items():
            if "error" in part:
                res.rows.append(Row("2 prompt", f"peer kubernetes-mcp-server: {label}", None, "tokens",
                                    note=f"tools/list failed: {part['error']}"))
                continue
            tools = [{"type": "function", "function": {"name": t["name"], "description": t.get("description", ""),
                                                      "parameters": t.get("inputSchema", {})}} for t in part["tools"]]
            fig = overhead(part.get("instructions", ""), tools)
            res.details["peers"]["kubernetes-mcp-server"][label] = {**fig, "toolsets": part.get("toolsets")}
            res.rows.append(Row("2 prompt", f"peer kubernetes-mcp-server {k8s.version.split()[0]}: tools/list, "
                                            f"{label} ({fig['n_tools']} tools)", fig["total"], "tokens",
                                reference="Reign lazy", ref_value=lazy,
                                note="schemas only (+ server instructions); the host agent adds its own prompt"))
            res.say(f"  kubernetes-mcp-server {label}: {fig}")
    else:
        res.rows.append(Row("2 prompt", "peer kubernetes-mcp-server", None, "tokens", note=k8s.status))
        res.say(f"  kubernetes-mcp-server: {k8s.status}")


def _task_success(res: BenchResult, cfg: Config) -> None:
    """The cassette scenarios, through the real CLI and SDKs, with lazy (as shipped) and eager loading."""
    assert cfg.sandbox is not None
    import sys

    for mode in ("lazy", "eager"):
        env = {**cfg.sandbox.env(), "REIGN_TOOL_LOADING": mode}
        done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_cassette_loop.py"],
                   timeout=900, env=env, cwd=ROOT)
        text = done.stdout + done.stderr
        passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", text)) else 0
        failed = sum(int(x) for x in re.findall(r"(\d+) (?:failed|error)", text))
        total = passed + failed
        row = Row("2 prompt", f"task success: cassette scenarios, tool_loading={mode}", passed, "passed",
                  reference="scenarios run", ref_value=total or None, target="all pass",
                  ok=bool(total) and failed == 0 and done.returncode == 0)
        if not row.ok:
            row.note = tail(done.stdout, 3)
        res.rows.append(row)
        res.details[f"cassettes_{mode}"] = {"passed": passed, "failed": failed, "exit": done.returncode}
        res.say(f"  cassette scenarios ({mode}): {passed} passed, {failed} failed")
