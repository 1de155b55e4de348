"""The Kubernetes API session: kubeconfig, one cached HTTP session per context, requests and their errors."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from reign import kubeconfig
from reign.config import Settings
from reign.errors import ToolError, connection_reason, one_line
from reign.toolcontext import ToolContext

FIELD_MANAGER = "reign"
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

_sessions: dict[tuple[Any, ...], ApiSession] = {}
_lock = threading.Lock()


class KubeApiError(ToolError):
    """A non-2xx answer of the API server, with its status code and the server's own message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{_STATUS_WORDS.get(status, 'API error')} ({status}): {message}")


_STATUS_WORDS = {400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found", 405: "not allowed",
                 409: "conflict", 410: "gone", 415: "unsupported patch type", 422: "invalid", 429: "throttled",
                 500: "server error", 503: "unavailable", 504: "timeout"}


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    singular: str = ""
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def label(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        if sub:
            base += f"/{sub}"
        return base

    def is_core(self, kind: str) -> bool:
        return self.group == "" and self.kind == kind


@dataclass
class ApiSession:
    api: Any
    context: str
    namespace: str
    server: str
    timeout: float
    version: str = ""
    groups: list[tuple[str, str, tuple[str, ...]]] | None = None  # (group, preferred version, versions)
    by_gv: dict[str, list[Resource]] = field(default_factory=dict)
    discovered_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


# ------------------------------------------------------------------------------------------ kubeconfig


def api_session(ctx: ToolContext | Settings) -> ApiSession:
    """The cached session for the settings' kube context (a tool's ctx, or an availability probe's settings)."""
    probing = not isinstance(ctx, ToolContext)
    settings = ctx if isinstance(ctx, Settings) else ctx.settings
    try:
        from kubernetes import client, config
    except ImportError:
        raise ToolError("the kubernetes Python client is not installed (pip install 'reign[kubernetes]')") from None
    files = kubeconfig.files()
    if not files:
        raise ToolError(kubeconfig.missing_reason())
    wanted = settings.kube_context
    timeout = 10.0 if probing else float(settings.tool_timeout)  # a probe must answer quickly
    joined = os.pathsep.join(files)
    groups = ([settings.kube_impersonate_group] if settings.kube_impersonate_group else []) + \
        settings.kube_impersonate_groups
    impersonate = (settings.kube_impersonate_user or "", tuple(dict.fromkeys(groups)))
    key = (joined, tuple(os.path.getmtime(f) for f in files), wanted or "", timeout, *impersonate)
    with _lock:
        cached = _sessions.get(key)
    if cached is not None:
        return cached
    kc = kubeconfig.load(files)
    name = wanted or kc["current-context"]
    if not name:
        raise ToolError(f"the kubeconfig ({joined}) has no current-context; set kube_context")
    if name not in kc["contexts"]:
        have = ", ".join(sorted(kc["contexts"])) or "none"
        raise ToolError(f"kube context {name!r} is not in the kubeconfig (contexts: {have})")
    entry = kc["contexts"][name]
    cfg = type.__call__(client.Configuration)
    try:
        config.load_kube_config(config_file=joined, context=name, client_configuration=cfg,  # type: ignore[no-untyped-call]
                                persist_config=False)
    except Exception as exc:
        raise ToolError(f"cannot load kube context {name!r}: {one_line(exc, 200)}") from exc
    cfg.retries = 1
    api = client.ApiClient(configuration=cfg)
    if impersonate[0]:  # the cluster decides with this person's RBAC (reign serve's per-user scope)
        _impersonate(api, impersonate[0], impersonate[1])
    sess = ApiSession(api=api, context=name,
                    namespace=str(entry.get("namespace") or "default"), server=str(cfg.host), timeout=timeout)
    with _lock:
        _sessions[key] = sess
    return sess


def _impersonate(api: Any, user: str, groups: tuple[str, ...]) -> None:
    """Every request of this client carries Impersonate-User and one Impersonate-Group header per group.

    The client's default headers are a dict (one value per name), and the API server reads each group from
    its own header line (a comma-joined value would be one group with a comma in its name), so the groups
    are added to each request's headers as a urllib3 HTTPHeaderDict, which sends repeated lines.
    """
    from importlib.metadata import version

    api.set_default_header("Impersonate-User", user)
    if not groups:
        return
    if int(version("urllib3").split(".")[0]) < 2:  # 1.x joins repeated headers into one line
        raise ToolError("impersonating Kubernetes groups needs urllib3 2 or later (pip install -U urllib3)")
    from urllib3 import HTTPHeaderDict

    rest = api.rest_client
    send = rest.request

    def request(method: str, url: str, *args: Any, headers: Any = None, **kwargs: Any) -> Any:
        merged = HTTPHeaderDict(headers or {})
        merged.discard("Impersonate-Group")
        for group in groups:
            merged.add("Impersonate-Group", group)
        return send(method, url, *args, headers=merged, **kwargs)

    rest.request = request


def available(settings: Settings) -> str | None:
    """None when a cluster answers through the kubeconfig (the settings' context), else the one-line reason."""
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        return "the kubernetes Python client is not installed (pip install 'reign[kubernetes]')"
    if not kubeconfig.files():
        return kubeconfig.missing_reason()
    try:
        sess = api_session(settings)
    except ToolError as exc:
        return str(exc)
    try:
        api_request(sess, "GET", "/version", timeout=3.0)
    except KubeApiError as exc:
        return f"cluster at {sess.server} refused the probe: {exc}"
    except ToolError as exc:
        return str(exc)
    return None


# ------------------------------------------------------------------------------------------ HTTP


def _message(data: bytes | None, fallback: str) -> str:
    try:
        body = json.loads(data or b"")
    except ValueError:
        text = (data or b"").decode("utf-8", "replace").strip()
        return one_line(text) or fallback
    if isinstance(body, dict) and body.get("message"):
        return one_line(body["message"], 400)
    return fallback


def api_request(sess: ApiSession, method: str, path: str, *, query: list[tuple[str, Any]] | None = None,
             body: Any = None, content_type: str = "application/json", accept: str = "application/json",
             timeout: float | None = None, raw: bool = False) -> Any:
    """One API call; JSON (or text with raw=True) back. Non-2xx -> KubeApiError; no answer -> ToolError."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    params = [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in query or [] if v is not None]
    read_timeout = timeout if timeout is not None else sess.timeout
    headers = {"Accept": accept, "Content-Type": content_type}
    timeouts = (min(5.0, read_timeout), read_timeout)
    try:
        if hasattr(sess.api, "param_serialize"):  # kubernetes >= 37 (openapi-generator 7)
            req = sess.api.param_serialize(method, path, query_params=params, header_params=headers, body=body,
                                           auth_settings=["BearerToken"])
            resp = sess.api.call_api(*req, _request_timeout=timeouts)
            data: bytes = resp.read() or b""
        else:  # kubernetes < 37: raises ApiException itself on a non-2xx answer
            resp, _, _ = sess.api.call_api(path, method, query_params=params, header_params=headers, body=body,
                                           auth_settings=["BearerToken"], _preload_content=False,
                                           _return_http_data_only=False, _request_timeout=timeouts)
            data = resp.data or b""
    except ApiException as exc:
        raise KubeApiError(int(exc.status or 0), _message(exc.body if isinstance(exc.body, bytes) else
                                                          str(exc.body or "").encode(), str(exc.reason))) from None
    except (HTTPError, OSError) as exc:
        raise ToolError(f"cluster unreachable at {sess.server}: {connection_reason(exc)}") from None
    if not 200 <= int(resp.status) <= 299:
        raise KubeApiError(int(resp.status), _message(data, str(resp.reason)))
    if raw:
        return data.decode("utf-8", "replace")
    return json.loads(data) if data else {}


def get_or_none(sess: ApiSession, path: str) -> dict[str, Any] | None:
    try:
        obj: dict[str, Any] = api_request(sess, "GET", path)
    except KubeApiError as exc:
        if exc.status == 404:
            return None
        raise
    return obj
