"""Run INSIDE the holmesgpt virtualenv: print, as JSON, what HolmesGPT sends the model on every request.

* `enabled`: the CLI's own path (`holmes ask`): Config.load_from_env() -> create_tool_executor with the
  CLI tags (core, cli), every toolset that needs no configuration enabled, prerequisites checked live on
  this machine -> ToolExecutor.get_all_tools_openai_format(), and the system prompt of
  build_initial_ask_messages() for that executor.
* `all`: every built-in toolset with the CLI tags, as if each were configured and its prerequisites
  met: each toolset's tools through the same Tool.get_openai_format(), and the system prompt rendered
  with all of them enabled (their llm_instructions included).

No model is called and no cluster is needed. Output: one JSON object on stdout.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any


def main() -> None:
    logging.disable(logging.CRITICAL)
    started = time.perf_counter()
    from holmes.config import Config
    from holmes.core.prompt import build_initial_ask_messages, build_system_prompt
    from holmes.core.tools import ToolsetStatusEnum, ToolsetTag
    from holmes.plugins.toolsets import load_builtin_toolsets

    try:
        from holmes.config import PrerequisiteCacheMode
    except ImportError:  # moved between releases
        from holmes.core.toolset_manager import PrerequisiteCacheMode  # type: ignore[attr-defined,no-redef]
    from importlib.metadata import version

    out: dict[str, Any] = {"version": version("holmesgpt")}
    cli_tags = [ToolsetTag.CORE, ToolsetTag.CLI]

    config = Config.load_from_env()
    executor = config.create_tool_executor(toolset_tag_filter=cli_tags, enable_all_toolsets_possible=True,
                                           prerequisite_cache=PrerequisiteCacheMode.DISABLED)
    messages = build_initial_ask_messages("x", None, executor)
    out["enabled"] = {
        "tools": executor.get_all_tools_openai_format(),
        "system": next((m["content"] for m in messages if m["role"] == "system"), ""),
        "toolsets": sorted(t.name for t in executor.toolsets if t.status == ToolsetStatusEnum.ENABLED),
    }

    every = [t for t in load_builtin_toolsets(None) if any(tag in cli_tags for tag in t.tags)]
    tools: list[dict[str, Any]] = []
    seen: set[str] = set()
    for toolset in every:
        toolset.enabled = True
        toolset.status = ToolsetStatusEnum.ENABLED
        for tool in toolset.tools:
            if tool.name not in seen:
                seen.add(tool.name)
                tools.append(tool.get_openai_format())
    system = build_system_prompt(toolsets=every, skills=None, system_prompt_additions=None, cluster_name=None,
                                 ask_user_enabled=True, prompt_component_overrides={})
    out["all"] = {"tools": tools, "system": system or "", "toolsets": sorted(t.name for t in every)}
    out["seconds"] = round(time.perf_counter() - started, 2)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
