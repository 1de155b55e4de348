"""Which Helm engine serves a call (the helm Python SDK or the helm CLI), and whether Helm is available here."""

from __future__ import annotations

import os
import shutil

from reign import kubeconfig
from reign.config import Settings
from reign.errors import ToolError, one_line
from reign.managers.helm.cli import CliEngine
from reign.managers.helm.engine import Engine
from reign.managers.helm.sdk import SdkEngine
from reign.toolcontext import ToolContext


def _engine_choice() -> tuple[str | None, str | None]:
    """("sdk"|"cli", None) or (None, reason)."""
    import importlib.util

    forced = os.environ.get("REIGN_HELM_ENGINE", "").strip().lower()
    has_sdk = forced in ("", "sdk") and importlib.util.find_spec("helm_python") is not None
    if has_sdk:
        return "sdk", None
    if forced in ("", "cli") and shutil.which("helm"):
        return "cli", None
    if forced == "sdk":
        return None, "helm-python-sdk is not installed (pip install 'reign[kubernetes]')"
    if forced == "cli":
        return None, "no helm binary on PATH"
    return None, "no Helm engine: pip install helm-python-sdk (or put a helm binary on PATH)"


def engine_for(ctx: ToolContext) -> Engine:

    kind, reason = _engine_choice()
    files = kubeconfig.files()
    config_file = files[0] if len(files) == 1 else None  # several files: the engines read $KUBECONFIG themselves
    context = ctx.settings.kube_context or None
    if kind == "sdk":
        try:
            return SdkEngine(config_file, context)
        except Exception as exc:  # the shared library failed to load: try the binary
            binary = shutil.which("helm")
            if binary is None:
                raise ToolError(f"helm-python-sdk does not load: {one_line(exc, 200)}") from None
            return CliEngine(binary, config_file, context, float(ctx.settings.tool_timeout))
    if kind == "cli":
        return CliEngine(str(shutil.which("helm")), config_file, context, float(ctx.settings.tool_timeout))
    raise ToolError(reason or "no Helm engine")


def available() -> str | None:
    """Chart tools: a Helm engine is present."""
    return _engine_choice()[1]


def cluster_available(settings: Settings) -> str | None:
    """Release tools: a Helm engine and a reachable cluster (the settings' kube context)."""
    reason = available()
    if reason:
        return reason
    from reign.managers.kubernetes.client import available as kube_available

    return kube_available(settings)
