"""Kubernetes manager: keyword-only tool functions over the Python `kubernetes` client's REST layer.

A session is pinned to one kubeconfig context: `settings.kube_context`, else the kubeconfig's current
context. The kubeconfig is `$KUBECONFIG` (os.pathsep-separated files, merged) or `~/.kube/config`.
The client is imported lazily; requests go through its ApiClient (auth, TLS, exec plugins) with our own
discovery, so that any kind works: built-in or custom, by Kind, plural, singular, short name or `plural.group`.

Scope, enforced here as well as by the policy (the gate cannot see the kubeconfig's default namespace):
with `settings.kube_namespaces` set, a call that names no namespace uses the first allowed one, and any
other namespace, all-namespaces request or cluster-scoped write is refused. A write that would land in a
protected namespace only because it is the context's default is refused (name it, so the policy sees it);
protected Namespace objects are never deleted, and protected namespaces never emptied, whatever the policy.

Secrets: values are replaced with `<redacted: N bytes>` unless the call asks (`reveal_values`) and the
session allows it (`settings.kube_secret_values`, default off; the policy asks for such calls).

Writes that change objects (apply, patch, scale, delete, rollout_undo) have a catalogue `preview`: a unified
diff of the live object against the server-side dry-run result, without server bookkeeping. When the call was
approved (`ctx.approved_preview` set) the tool recomputes it and refuses if the world changed in between.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reign.context import ToolContext
from reign.errors import ToolError, connection_reason
from reign.managers import kube_summary as ks
from reign.policy.classifiers.kubernetes import kind_word, parse_manifest

FIELD_MANAGER = "reign"
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
PAGE = 500
MAX_SCAN = 5000
LOG_LIMIT_BYTES = 256 * 1024
CHANGED = "the live object changed since the diff was approved; ask again"
ROLLOUT_KINDS = ("deployment", "statefulset", "daemonset")
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
REVISION = "deployment.kubernetes.io/revision"

_sessions: dict[tuple[Any, ...], _Session] = {}
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
class _Session:
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


def kubeconfig_files() -> list[str]:
    """Existing kubeconfig files: `$KUBECONFIG` (os.pathsep-separated) or `~/.kube/config`."""
    env = os.environ.get("KUBECONFIG")
    paths = [p for p in env.split(os.pathsep) if p.strip()] if env and env.strip() else \
        [str(Path.home() / ".kube" / "config")]
    return [os.path.expanduser(p) for p in paths if os.path.isfile(os.path.expanduser(p))]


def _no_kubeconfig() -> str:
    env = os.environ.get("KUBECONFIG")
    if env and env.strip():
        return f"no kubeconfig found (KUBECONFIG={env}: no such file)"
    return "no kubeconfig found (KUBECONFIG unset and ~/.kube/config missing)"


def load_kubeconfig(files: list[str]) -> dict[str, Any]:
    """The merged kubeconfig (first file wins per name, as kubectl merges), without credentials."""
    import yaml

    merged: dict[str, Any] = {"contexts": {}, "clusters": {}, "current-context": ""}
    for path in files:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ToolError(f"cannot read kubeconfig {path}: {' '.join(str(exc).split())[:200]}") from exc
        if not isinstance(data, dict):
            raise ToolError(f"kubeconfig {path} is not a mapping")
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = str(data["current-context"])
        for section in ("contexts", "clusters"):
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") and entry["name"] not in merged[section]:
                    merged[section][str(entry["name"])] = entry.get(section[:-1]) or {}
    return merged


def _settings_context() -> str | None:
    try:
        from reign.config import Settings

        return Settings().kube_context
    except Exception:  # an availability probe must not fail on unrelated settings
        return os.environ.get("REIGN_KUBE_CONTEXT") or None


def _session(ctx: ToolContext | None) -> _Session:
    try:
        from kubernetes import client, config
    except ImportError:
        raise ToolError("the kubernetes Python client is not installed (pip install 'reign[kubernetes]')") from None
    files = kubeconfig_files()
    if not files:
        raise ToolError(_no_kubeconfig())
    wanted = ctx.settings.kube_context if ctx is not None else _settings_context()
    timeout = float(ctx.settings.tool_timeout) if ctx is not None else 10.0
    joined = os.pathsep.join(files)
    key = (joined, tuple(os.path.getmtime(f) for f in files), wanted or "", timeout)
    with _lock:
        cached = _sessions.get(key)
    if cached is not None:
        return cached
    kc = load_kubeconfig(files)
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
        raise ToolError(f"cannot load kube context {name!r}: {' '.join(str(exc).split())[:200]}") from exc
    cfg.retries = 1
    sess = _Session(api=client.ApiClient(configuration=cfg), context=name,
                    namespace=str(entry.get("namespace") or "default"), server=str(cfg.host), timeout=timeout)
    with _lock:
        _sessions[key] = sess
    return sess


def available() -> str | None:
    """None when a cluster answers through the kubeconfig, else the one-line reason."""
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        return "the kubernetes Python client is not installed (pip install 'reign[kubernetes]')"
    if not kubeconfig_files():
        return _no_kubeconfig()
    try:
        sess = _session(None)
    except ToolError as exc:
        return str(exc)
    try:
        _request(sess, "GET", "/version", timeout=3.0)
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
        return " ".join(text.split())[:300] or fallback
    if isinstance(body, dict) and body.get("message"):
        return " ".join(str(body["message"]).split())[:400]
    return fallback


def _request(sess: _Session, method: str, path: str, *, query: list[tuple[str, Any]] | None = None,
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


def _get_or_none(sess: _Session, path: str) -> dict[str, Any] | None:
    try:
        obj: dict[str, Any] = _request(sess, "GET", path)
    except KubeApiError as exc:
        if exc.status == 404:
            return None
        raise
    return obj


# ------------------------------------------------------------------------------------------ discovery


def _parse_resources(group: str, version: str, doc: dict[str, Any]) -> list[Resource]:
    items = doc.get("resources") or []
    subs: dict[str, list[str]] = {}
    for item in items:
        if "/" in str(item.get("name", "")):
            parent, _, sub = str(item["name"]).partition("/")
            subs.setdefault(parent, []).append(sub)
    return [Resource(group=group, version=version, kind=str(item.get("kind")), plural=str(item.get("name")),
                     namespaced=bool(item.get("namespaced")), verbs=tuple(item.get("verbs") or ()),
                     short_names=tuple(item.get("shortNames") or ()),
                     singular=str(item.get("singularName") or "").lower(),
                     subresources=tuple(subs.get(str(item.get("name")), ())))
            for item in items if "/" not in str(item.get("name", ""))]


def _group_version(sess: _Session, gv: str, *, refresh: bool = False) -> list[Resource]:
    if gv in sess.by_gv and not refresh:
        return sess.by_gv[gv]
    path = f"/api/{gv}" if "/" not in gv else f"/apis/{gv}"
    try:
        doc = _request(sess, "GET", path)
    except KubeApiError as exc:
        if exc.status in (404, 503):
            doc = {}
        else:
            raise
    group, _, version = gv.rpartition("/")
    resources = _parse_resources(group, version, doc)
    with sess.lock:
        sess.by_gv[gv] = resources
    return resources


def _groups(sess: _Session, *, refresh: bool = False) -> list[tuple[str, str, tuple[str, ...]]]:
    if sess.groups is None or refresh or time.monotonic() - sess.discovered_at > 300:
        doc = _request(sess, "GET", "/apis")
        groups: list[tuple[str, str, tuple[str, ...]]] = [("", "v1", ("v1",))]
        for g in doc.get("groups") or []:
            versions = tuple(str(v.get("version")) for v in g.get("versions") or [])
            preferred = str((g.get("preferredVersion") or {}).get("version") or (versions[0] if versions else ""))
            groups.append((str(g.get("name")), preferred, versions))
        with sess.lock:
            sess.groups = groups
            sess.discovered_at = time.monotonic()
            if refresh:
                sess.by_gv.clear()
    return sess.groups or []


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _group_rank(group: str) -> tuple[int, str]:
    if group == "":
        return 0, ""
    if group == "extensions":
        return 3, group
    builtin = "." not in group or group.endswith(".k8s.io")
    return (1 if builtin else 2), group


def _names(res: Resource) -> set[str]:
    return {res.kind.lower(), res.plural.lower(), res.singular, *(s.lower() for s in res.short_names)} - {""}


def all_resources(sess: _Session, *, refresh: bool = False) -> list[Resource]:
    out: list[Resource] = []
    for group, preferred, _ in _groups(sess, refresh=refresh):
        out.extend(_group_version(sess, _gv(group, preferred), refresh=refresh))
    return out


def resolve(sess: _Session, kind: str, api_version: str | None = None) -> Resource:
    """The resource a kind names: `pods`, `po`, `Pod`, `deployments.apps`, `certificates.cert-manager.io`..."""
    word, group = kind_word(kind)
    if group in ("core", "v1"):
        group = ""
    if api_version:
        for refresh in (False, True):
            if refresh:
                _groups(sess, refresh=True)
            found = [r for r in _group_version(sess, api_version, refresh=refresh) if word in _names(r)]
            if found:
                return found[0]
        raise ToolError(f"no kind {kind!r} in {api_version} on this cluster (CRD not installed, or an API this "
                        f"server{_version_note(sess)} does not serve; see k8s_api_resources)")
    if group is None:  # core first, as kubectl: one request for the common kinds
        core = [r for r in _group_version(sess, "v1") if word in _names(r)]
        if core:
            return core[0]
    for refresh in (False, True):
        found = [r for r in all_resources(sess, refresh=refresh) if word in _names(r)
                 and (group is None or r.group == group or (group == "" and r.group == ""))]
        if found:
            return sorted(found, key=lambda r: _group_rank(r.group))[0]
    raise ToolError(f"unknown kind {kind!r} on this cluster{_version_note(sess)} (see k8s_api_resources)")


def _resolve_doc(sess: _Session, doc: dict[str, Any]) -> Resource:
    api_version, kind = str(doc.get("apiVersion")), str(doc.get("kind"))
    for refresh in (False, True):
        if refresh:
            _groups(sess, refresh=True)
        for res in _group_version(sess, api_version, refresh=refresh):
            if res.kind == kind:
                return res
    raise ToolError(f"no kind {kind} in {api_version} on this cluster{_version_note(sess)} (CRD not installed, "
                    "or an API version this server does not serve)")


def _version_note(sess: _Session) -> str:
    if not sess.version:
        try:
            sess.version = str(_request(sess, "GET", "/version", timeout=5.0).get("gitVersion") or "")
        except ToolError:
            return ""
    return f" (Kubernetes {sess.version})" if sess.version else ""


# ------------------------------------------------------------------------------------------ scope


def _settings_list(ctx: ToolContext, name: str) -> list[str]:
    return [str(v) for v in getattr(ctx.settings, name, None) or []]


def _namespace(sess: _Session, ctx: ToolContext, res: Resource | None, namespace: str | None, *,
               write: bool, name: str | None = None, all_namespaces: bool = False) -> str | None:
    """The namespace a call acts in (None: cluster-scoped or all namespaces), refusing what is out of scope."""
    allowed = _settings_list(ctx, "kube_namespaces")
    scope = ", ".join(allowed)
    if res is not None and res.is_core("Namespace") and name:
        if allowed and name not in allowed:
            raise ToolError(f"namespace {name!r} is outside this session's namespaces ({scope})")
        return None
    if res is not None and not res.namespaced:
        if write and allowed:
            raise ToolError(f"{res.kind} is cluster-scoped: writes are outside this session's namespaces ({scope})")
        return None
    return scoped_namespace(ctx, namespace, lambda: sess.namespace, write=write, all_namespaces=all_namespaces)


def scoped_namespace(ctx: ToolContext, namespace: str | None, default: Callable[[], str], *, write: bool,
                     all_namespaces: bool = False) -> str | None:
    """The session's namespace scope, for Kubernetes and Helm alike: None means all namespaces. The
    context's default namespace is looked up (`default`) only when the call names none."""
    allowed = _settings_list(ctx, "kube_namespaces")
    protected = _settings_list(ctx, "protected_namespaces")
    scope = ", ".join(allowed)
    if all_namespaces:
        if allowed:
            raise ToolError(f"all-namespaces requests are outside this session's namespaces ({scope})")
        return None
    ns = namespace or (allowed[0] if allowed else default())
    if allowed and ns not in allowed:
        raise ToolError(f"namespace {ns!r} is outside this session's namespaces ({scope})")
    if write and not namespace and ns in protected:
        raise ToolError(f"namespace {ns!r} (the context's default) is protected: name the namespace explicitly")
    return ns


def _secret_values_allowed(ctx: ToolContext) -> bool:
    return bool(getattr(ctx.settings, "kube_secret_values", False))


def _check_bound(ctx: ToolContext, preview: str) -> None:
    if ctx.approved_preview is not None and ctx.approved_preview != preview:
        raise ToolError(CHANGED)


def _ref(res: Resource, ns: str | None, name: str) -> str:
    return f"{res.kind} {ns + '/' if ns else ''}{name}"


# ------------------------------------------------------------------------------------------ reads


def _list_tables(sess: _Session, res: Resource, ns: str | None, label_selector: str | None,
                 field_selector: str | None) -> tuple[list[dict[str, Any]], bool]:
    tables: list[dict[str, Any]] = []
    token: str | None = None
    scanned = 0
    while True:
        page = _request(sess, "GET", res.path(ns), accept=TABLE_ACCEPT,
                        query=[("labelSelector", label_selector), ("fieldSelector", field_selector),
                               ("limit", PAGE), ("continue", token)])
        if page.get("kind") != "Table":  # a server without server-side printing: name and age only
            page = {"columnDefinitions": [{"name": "Name", "priority": 0}, {"name": "Age", "priority": 0}],
                    "rows": [{"cells": [(i.get("metadata") or {}).get("name"),
                                        ks.age((i.get("metadata") or {}).get("creationTimestamp"))],
                              "object": {"metadata": i.get("metadata") or {}}} for i in page.get("items") or []],
                    "metadata": page.get("metadata") or {}}
        tables.append(page)
        scanned += len(page.get("rows") or [])
        token = (page.get("metadata") or {}).get("continue") or None
        if not token:
            return tables, False
        if scanned >= MAX_SCAN:
            return tables, True


def get(*, kind: str, name: str | None = None, namespace: str | None = None, all_namespaces: bool = False,
        label_selector: str | None = None, field_selector: str | None = None, api_version: str | None = None,
        limit: int = 30, reveal_values: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """One named object (trimmed), or a list summarised: counts by status and the first `limit` rows."""
    sess = _session(ctx)
    res = resolve(sess, kind, api_version)
    ns = _namespace(sess, ctx, res, namespace, write=False, name=name, all_namespaces=all_namespaces and not name)
    if name:
        obj = _request(sess, "GET", res.path(ns, name))
        reveal = reveal_values and _secret_values_allowed(ctx)
        out = ks.trim(obj, reveal_secret=reveal)
        if ks.is_secret(obj) and reveal_values and not reveal:
            out["note"] = "values hidden: this session does not allow Secret values (setting kube_secret_values)"
        return out
    if "list" not in res.verbs:
        raise ToolError(f"{res.label} cannot be listed (verbs: {', '.join(res.verbs) or 'none'})")
    tables, partial = _list_tables(sess, res, ns, label_selector, field_selector)
    out = ks.summarise_table(tables, limit=limit, kind=res.kind, namespace=ns if res.namespaced else None,
                             with_namespace=res.namespaced and ns is None)
    if partial:
        out["partial"] = f"stopped after {MAX_SCAN} objects: counts cover those only"
    return out


def _events_for(sess: _Session, obj: dict[str, Any], limit: int = 20) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    path = f"/api/v1/namespaces/{meta['namespace']}/events" if meta.get("namespace") else "/api/v1/events"
    doc = _request(sess, "GET", path, query=[("fieldSelector", f"involvedObject.uid={meta.get('uid', '')}"),
                                             ("limit", PAGE)])
    return ks.summarise_events(doc.get("items") or [], limit=limit)


def _replicasets(sess: _Session, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    meta = deployment.get("metadata") or {}
    selector = (deployment.get("spec") or {}).get("selector", {}).get("matchLabels") or {}
    labels = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or None
    doc = _request(sess, "GET", f"/apis/apps/v1/namespaces/{meta.get('namespace')}/replicasets",
                   query=[("labelSelector", labels)])
    owned = [rs for rs in doc.get("items") or []
             if any(o.get("uid") == meta.get("uid") for o in (rs.get("metadata") or {}).get("ownerReferences") or [])]
    return sorted(owned, key=_revision, reverse=True)


def _revision(obj: dict[str, Any]) -> int:
    try:
        return int(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, 0))
    except (TypeError, ValueError):
        return 0


def _history_rows(replicasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for rs in replicasets[:10]:
        containers = ((rs.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
        status = rs.get("status") or {}
        rows.append({"revision": _revision(rs), "replicaset": (rs.get("metadata") or {}).get("name"),
                     "images": [c.get("image") for c in containers],
                     "replicas": f"{status.get('readyReplicas', 0)}/{(rs.get('spec') or {}).get('replicas', 0)}"})
    return rows


def describe(*, kind: str, name: str, namespace: str | None = None, api_version: str | None = None,
             reveal_values: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """The object (trimmed) with its recent events; a Deployment also shows its ReplicaSet history."""
    sess = _session(ctx)
    res = resolve(sess, kind, api_version)
    ns = _namespace(sess, ctx, res, namespace, write=False, name=name)
    obj = _request(sess, "GET", res.path(ns, name))
    reveal = reveal_values and _secret_values_allowed(ctx)
    out: dict[str, Any] = {"object": ks.trim(obj, reveal_secret=reveal), "events": _events_for(sess, obj)}
    if res.group == "apps" and res.kind == "Deployment":
        out["replicasets"] = _history_rows(_replicasets(sess, obj))
    return out


def logs(*, pod: str, namespace: str | None = None, container: str | None = None, tail: int = 200,
         since_seconds: int | None = None, previous: bool = False, ctx: ToolContext) -> str:
    """The last lines of a pod container's log (`previous`: the instance before the last restart)."""
    sess = _session(ctx)
    ns = _namespace(sess, ctx, None, namespace, write=False)
    try:
        text: str = _request(sess, "GET", f"/api/v1/namespaces/{ns}/pods/{pod}/log", accept="application/json, */*",
                             raw=True, query=[("container", container), ("tailLines", tail),
                                              ("sinceSeconds", since_seconds), ("previous", previous or None),
                                              ("limitBytes", LOG_LIMIT_BYTES)])
    except KubeApiError as exc:
        raise ToolError(f"logs of pod {ns}/{pod} unavailable: {exc}") from None
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    what = f"container {container}" if container else "default container"
    head = f"# logs of pod {ns}/{pod} ({what}{', previous instance' if previous else ''}): {lines} lines\n"
    return head + (text if text else "(empty)\n")


def events(*, namespace: str | None = None, all_namespaces: bool = False, kind: str | None = None,
           name: str | None = None, warnings_only: bool = False, limit: int = 30, ctx: ToolContext) -> dict[str, Any]:
    """Recent events, newest first, summarised by type and reason; optionally for one object."""
    sess = _session(ctx)
    ns = _namespace(sess, ctx, None, namespace, write=False, all_namespaces=all_namespaces)
    selectors = []
    if kind:
        selectors.append(f"involvedObject.kind={resolve(sess, kind).kind}")
    if name:
        selectors.append(f"involvedObject.name={name}")
    if warnings_only:
        selectors.append("type=Warning")
    path = f"/api/v1/namespaces/{ns}/events" if ns else "/api/v1/events"
    items: list[dict[str, Any]] = []
    token = None
    while True:
        doc = _request(sess, "GET", path, query=[("fieldSelector", ",".join(selectors) or None), ("limit", PAGE),
                                                 ("continue", token)])
        items.extend(doc.get("items") or [])
        token = (doc.get("metadata") or {}).get("continue")
        if not token or len(items) >= MAX_SCAN:
            break
    out = ks.summarise_events(items, limit=limit)
    out = {"namespace": ns or "(all)", **out}
    return out


def _rollout_message(kind: str, obj: dict[str, Any]) -> tuple[bool, str]:
    """kubectl's rollout status viewers (deployment, statefulset, daemonset): (done, message)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    name = meta.get("name")
    if int(meta.get("generation", 0)) > int(status.get("observedGeneration", 0)):
        return False, f"Waiting for {kind} spec update to be observed..."
    if kind == "deployment":
        for cond in status.get("conditions") or []:
            if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
                return False, f"deployment {name!r} exceeded its progress deadline"
        want, updated = int(spec.get("replicas", 1)), int(status.get("updatedReplicas", 0))
        replicas, available = int(status.get("replicas", 0)), int(status.get("availableReplicas", 0))
        if updated < want:
            return False, (f"Waiting for deployment {name!r} rollout to finish: {updated} out of {want} new replicas "
                           "have been updated...")
        if replicas > updated:
            return False, (f"Waiting for deployment {name!r} rollout to finish: {replicas - updated} old replicas "
                           "are pending termination...")
        if available < updated:
            return False, (f"Waiting for deployment {name!r} rollout to finish: {available} of {updated} updated "
                           "replicas are available...")
        return True, f"deployment {name!r} successfully rolled out"
    if kind == "statefulset":
        want, ready = int(spec.get("replicas", 1)), int(status.get("readyReplicas", 0))
        if ready < want:
            return False, f"Waiting for {want - ready} pods to be ready..."
        if (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
            return True, f"statefulset {name!r} uses OnDelete updates: status is not tracked"
        if status.get("updateRevision") != status.get("currentRevision"):
            return False, (f"waiting for statefulset rolling update to complete {status.get('updatedReplicas', 0)} "
                           f"pods at revision {status.get('updateRevision')}...")
        return True, f"statefulset rolling update complete {ready} pods at revision {status.get('currentRevision')}"
    desired = int(status.get("desiredNumberScheduled", 0))
    updated, available = int(status.get("updatedNumberScheduled", 0)), int(status.get("numberAvailable", 0))
    if updated < desired:
        return False, (f"Waiting for daemon set {name!r} rollout to finish: {updated} out of {desired} new pods "
                       "have been updated...")
    if available < desired:
        return False, (f"Waiting for daemon set {name!r} rollout to finish: {available} of {desired} updated pods "
                       "are available...")
    return True, f"daemon set {name!r} successfully rolled out"


def _rollout_target(sess: _Session, ctx: ToolContext, kind: str, namespace: str | None,
                    *, write: bool) -> tuple[Resource, str, str]:
    word, group = kind_word(kind)
    canon = {"ds": "daemonset", "sts": "statefulset", "deploy": "deployment"}.get(word, word.removesuffix("s"))
    if group not in (None, "apps"):
        canon = f"{canon}.{group}"
    if canon not in ROLLOUT_KINDS:
        raise ToolError(f"rollouts apply to deployments, statefulsets and daemonsets, not {kind!r}")
    res = resolve(sess, f"{canon}.apps")
    ns = _namespace(sess, ctx, res, namespace, write=write)
    assert ns is not None
    return res, ns, canon


def rollout_status(*, name: str, kind: str = "deployment", namespace: str | None = None, wait_seconds: int = 0,
                   ctx: ToolContext) -> dict[str, Any]:
    """kubectl rollout status: done or what it waits for (polls up to wait_seconds); revision history."""
    sess = _session(ctx)
    res, ns, canon = _rollout_target(sess, ctx, kind, namespace, write=False)
    deadline = time.monotonic() + min(float(wait_seconds), max(1.0, sess.timeout - 3))
    while True:
        obj = _request(sess, "GET", res.path(ns, name))
        done, message = _rollout_message(canon, obj)
        if done or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    out: dict[str, Any] = {"object": _ref(res, ns, name), "done": done, "status": message}
    if canon == "deployment":
        out["revision"] = _revision(obj)
        out["history"] = _history_rows(_replicasets(sess, obj))
    return out


def rollout_restart(*, name: str, kind: str = "deployment", namespace: str | None = None,
                    ctx: ToolContext) -> dict[str, Any]:
    """kubectl rollout restart: stamps the pod template so that every pod is replaced."""
    sess = _session(ctx)
    res, ns, _ = _rollout_target(sess, ctx, kind, namespace, write=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    obj = _request(sess, "PATCH", res.path(ns, name), body=body, content_type="application/strategic-merge-patch+json",
                   query=[("fieldManager", FIELD_MANAGER)])
    return {"restarted": _ref(res, ns, name), "at": stamp, "generation": (obj.get("metadata") or {}).get("generation"),
            "next": "follow with k8s_rollout_status"}


# ------------------------------------------------------------------------------------------ changes


@dataclass
class _Change:
    res: Resource
    ns: str | None
    name: str
    method: str  # PATCH or DELETE
    body: Any = None
    content_type: str = "application/json"
    query: list[tuple[str, Any]] = field(default_factory=list)
    sub: str | None = None
    doc: dict[str, Any] | None = None  # the manifest object of an apply
    live: dict[str, Any] | None = None
    dry: dict[str, Any] | None = None
    note: str = ""

    @property
    def ref(self) -> str:
        return _ref(self.res, self.ns, self.name)

    @property
    def path(self) -> str:
        return self.res.path(self.ns, self.name, self.sub)


def _dry_run(sess: _Session, change: _Change, created_namespaces: set[str]) -> None:
    change.live = _get_or_none(sess, change.path)
    if change.method == "DELETE":
        if change.live is None:
            raise ToolError(f"{change.ref} not found")
        # DeleteOptions travel in the body: with a body the server ignores the query's dryRun (it would delete!)
        _request(sess, "DELETE", change.path, body={**(change.body or {}), "dryRun": ["All"]})
        change.dry = None
        return
    try:
        for _ in range(3):  # a controller may write in between: diff the dry-run against the version it started from
            change.dry = _request(sess, change.method, change.path, body=change.body,
                                  content_type=change.content_type, query=[("dryRun", "All"), *change.query])
            if change.live is None or _version(change.dry) == _version(change.live):
                break
            change.live = _get_or_none(sess, change.path)
    except KubeApiError as exc:
        if exc.status == 404 and change.ns in created_namespaces and change.doc is not None:
            change.dry = change.doc  # its namespace is created by this same apply: nothing to dry-run against yet
            change.note = f" (namespace {change.ns} is created by this apply: manifest shown, not dry-run)"
        elif exc.status == 409 and "conflict" in exc.message.lower() and change.method == "PATCH":
            raise ToolError(f"{change.ref}: {exc.message} (pass force_conflicts=true to take these fields over)") \
                from None
        elif exc.status == 415:
            raise ToolError(f"{change.ref}: {exc.message} (custom resources take patch_type merge or json)") from None
        else:
            raise ToolError(f"{change.ref}: {exc}") from None


def _version(obj: dict[str, Any] | None) -> str:
    return str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")


def _render(sess: _Session, tool: str, changes: list[_Change], *, max_lines: int = 0) -> str:
    lines = [f"# {tool} on context {sess.context}: diff of live objects against the server-side dry-run"]
    for change in changes:
        before = ks.normalise(change.live)
        after = ks.normalise(change.dry, creating=change.live is None)
        if change.method == "DELETE":
            action = "delete"
        elif change.live is None:
            action = "create"
        else:
            action = "change" if before != after else "unchanged"
        lines.append(f"## {change.ref}: {action}{change.note}")
        diff = ks.object_diff(before, after, change.ref.replace(" ", "/"),
                              max_lines=max_lines if change.method == "DELETE" else 0)
        if diff:
            lines.append(diff.rstrip("\n"))
    return "\n".join(lines) + "\n"


def _execute(sess: _Session, changes: list[_Change]) -> list[dict[str, Any]]:
    results = []
    for change in changes:
        before = ks.normalise(change.live)
        after = ks.normalise(change.dry, creating=change.live is None)
        try:
            if change.method == "DELETE":
                _request(sess, "DELETE", change.path, body=change.body)
                result = "deleted"
            else:
                _request(sess, change.method, change.path, body=change.body, content_type=change.content_type,
                         query=change.query)
                result = "created" if change.live is None else ("configured" if before != after else "unchanged")
        except KubeApiError as exc:
            results.append({"object": change.ref, "result": "failed", "error": str(exc)})
            break
        results.append({"object": change.ref, "result": result})
    return results


def _outcome(results: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """The results, or a ToolError saying what failed, what was done before it and what was not attempted."""
    failed = [r for r in results if r["result"] == "failed"]
    if failed:
        done = ", ".join(f"{r['object']} {r['result']}" for r in results if r["result"] != "failed") or "nothing"
        raise ToolError(f"{failed[0]['object']} failed: {failed[0]['error']} (done before it: {done}; "
                        f"not attempted: {total - len(results)})")
    return {"results": results}


def _apply_changes(sess: _Session, ctx: ToolContext, manifest: str, namespace: str | None,
                   force_conflicts: bool) -> list[_Change]:
    try:
        docs = parse_manifest(manifest)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    changes: list[_Change] = []
    for doc in docs:
        res = _resolve_doc(sess, doc)
        meta = doc.setdefault("metadata", {})
        name = str(meta.get("name"))
        doc_ns = meta.get("namespace")
        if doc_ns and namespace and doc_ns != namespace and res.namespaced:
            raise ToolError(f"{res.kind} {name}: the manifest says namespace {doc_ns!r} but the call says "
                            f"{namespace!r}")
        ns = _namespace(sess, ctx, res, doc_ns or namespace, write=True, name=name if res.is_core("Namespace")
                        else None)
        if res.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        changes.append(_Change(res=res, ns=ns, name=name, method="PATCH", body=doc,
                               content_type="application/apply-patch+yaml", doc=doc,
                               query=[("fieldManager", FIELD_MANAGER), ("force", force_conflicts or None)]))
    # Namespaces first, then the rest in manifest order (kubectl applies in order; this only hoists namespaces).
    return sorted(changes, key=lambda c: 0 if c.res.is_core("Namespace") else 1)


def _dry_run_all(sess: _Session, changes: list[_Change]) -> None:
    created = {c.name for c in changes if c.res.is_core("Namespace")}
    created -= {c.name for c in changes if c.res.is_core("Namespace") and _get_or_none(sess, c.path) is not None}
    for change in changes:
        _dry_run(sess, change, created)


def preview_apply(*, manifest: str, namespace: str | None = None, force_conflicts: bool = False,
                  ctx: ToolContext) -> str:
    sess = _session(ctx)
    changes = _apply_changes(sess, ctx, manifest, namespace, force_conflicts)
    _dry_run_all(sess, changes)
    return _render(sess, "k8s_apply", changes)


def apply(*, manifest: str, namespace: str | None = None, force_conflicts: bool = False,
          ctx: ToolContext) -> dict[str, Any]:
    """Server-side apply (field manager "reign") after a server-side dry-run of every object."""
    sess = _session(ctx)
    changes = _apply_changes(sess, ctx, manifest, namespace, force_conflicts)
    _dry_run_all(sess, changes)
    _check_bound(ctx, _render(sess, "k8s_apply", changes))
    return _outcome(_execute(sess, changes), len(changes))


_PATCH_TYPES = {"strategic": "application/strategic-merge-patch+json", "merge": "application/merge-patch+json",
                "json": "application/json-patch+json"}


def _patch_change(sess: _Session, ctx: ToolContext, kind: str, name: str, patch: Any, patch_type: str,
                  namespace: str | None, api_version: str | None) -> _Change:
    if patch_type == "json" and not isinstance(patch, list):
        raise ToolError("a json patch is a list of operations ([{op, path, value}])")
    if patch_type != "json" and not isinstance(patch, dict):
        raise ToolError(f"a {patch_type} patch is an object (a partial manifest)")
    res = resolve(sess, kind, api_version)
    ns = _namespace(sess, ctx, res, namespace, write=True, name=name if res.is_core("Namespace") else None)
    return _Change(res=res, ns=ns, name=name, method="PATCH", body=patch, content_type=_PATCH_TYPES[patch_type],
                   query=[("fieldManager", FIELD_MANAGER)])


def preview_patch(*, kind: str, name: str, patch: Any, patch_type: str = "strategic", namespace: str | None = None,
                  api_version: str | None = None, ctx: ToolContext) -> str:
    sess = _session(ctx)
    change = _patch_change(sess, ctx, kind, name, patch, patch_type, namespace, api_version)
    _dry_run(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    return _render(sess, "k8s_patch", [change])


def patch(*, kind: str, name: str, patch: Any, patch_type: str = "strategic", namespace: str | None = None,
          api_version: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Patch one object (strategic merge, JSON merge or JSON patch), after a server-side dry-run."""
    sess = _session(ctx)
    change = _patch_change(sess, ctx, kind, name, patch, patch_type, namespace, api_version)
    _dry_run(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    _check_bound(ctx, _render(sess, "k8s_patch", [change]))
    return _outcome(_execute(sess, [change]), 1)


def _scale_change(sess: _Session, ctx: ToolContext, kind: str, name: str, replicas: int,
                  namespace: str | None) -> _Change:
    res = resolve(sess, kind)
    if "scale" not in res.subresources:
        raise ToolError(f"{res.label} has no scale subresource")
    ns = _namespace(sess, ctx, res, namespace, write=True)
    return _Change(res=res, ns=ns, name=name, method="PATCH", sub="scale", body={"spec": {"replicas": replicas}},
                   content_type="application/merge-patch+json", query=[("fieldManager", FIELD_MANAGER)])


def preview_scale(*, name: str, replicas: int, kind: str = "deployment", namespace: str | None = None,
                  ctx: ToolContext) -> str:
    sess = _session(ctx)
    change = _scale_change(sess, ctx, kind, name, replicas, namespace)
    _dry_run(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    return _render(sess, "k8s_scale", [change])


def scale(*, name: str, replicas: int, kind: str = "deployment", namespace: str | None = None,
          ctx: ToolContext) -> dict[str, Any]:
    """Set the replica count through the scale subresource (deployments, statefulsets, replicasets, CRDs)."""
    sess = _session(ctx)
    change = _scale_change(sess, ctx, kind, name, replicas, namespace)
    _dry_run(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    _check_bound(ctx, _render(sess, "k8s_scale", [change]))
    before = int(((change.live or {}).get("spec") or {}).get("replicas", 0))
    out = _outcome(_execute(sess, [change]), 1)
    out["replicas"] = {"from": before, "to": replicas}
    return out


def _undo_change(sess: _Session, ctx: ToolContext, name: str, namespace: str | None,
                 to_revision: int | None) -> tuple[_Change, int]:
    res, ns, _ = _rollout_target(sess, ctx, "deployment", namespace, write=True)
    deployment = _request(sess, "GET", res.path(ns, name))
    if (deployment.get("spec") or {}).get("paused"):
        raise ToolError(f"deployment {name!r} is paused: resume it before rolling back")
    current = _revision(deployment)
    history = _replicasets(sess, deployment)
    if to_revision:
        target = next((rs for rs in history if _revision(rs) == to_revision), None)
        if target is None:
            have = ", ".join(str(_revision(rs)) for rs in history) or "none"
            raise ToolError(f"deployment {name!r} has no revision {to_revision} (revisions: {have})")
    else:
        target = next((rs for rs in history if _revision(rs) < current), None)
        if target is None:
            raise ToolError(f"deployment {name!r} has no previous revision to roll back to")
    template = json.loads(json.dumps((target.get("spec") or {}).get("template") or {}))
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop("pod-template-hash", None)
    body = [{"op": "replace", "path": "/spec/template", "value": template}]
    change = _Change(res=res, ns=ns, name=name, method="PATCH", body=body, content_type=_PATCH_TYPES["json"],
                     query=[("fieldManager", FIELD_MANAGER)])
    return change, _revision(target)


def preview_rollout_undo(*, name: str, namespace: str | None = None, to_revision: int | None = None,
                         ctx: ToolContext) -> str:
    sess = _session(ctx)
    change, revision = _undo_change(sess, ctx, name, namespace, to_revision)
    _dry_run(sess, change, set())
    return f"# roll back to revision {revision}\n" + _render(sess, "k8s_rollout_undo", [change])


def rollout_undo(*, name: str, namespace: str | None = None, to_revision: int | None = None,
                 ctx: ToolContext) -> dict[str, Any]:
    """kubectl rollout undo for a Deployment: its pod template back to a ReplicaSet revision (default: previous)."""
    sess = _session(ctx)
    change, revision = _undo_change(sess, ctx, name, namespace, to_revision)
    _dry_run(sess, change, set())
    _check_bound(ctx, f"# roll back to revision {revision}\n" + _render(sess, "k8s_rollout_undo", [change]))
    if ks.normalise(change.live) == ks.normalise(change.dry):
        return {"object": change.ref, "result": f"skipped: the template already matches revision {revision}"}
    out = _outcome(_execute(sess, [change]), 1)
    out["rolled_back_to"] = revision
    out["next"] = "follow with k8s_rollout_status"
    return out


def _delete_changes(sess: _Session, ctx: ToolContext, kind: str, name: str | None, namespace: str | None,
                    label_selector: str | None, all: bool, api_version: str | None,
                    grace_period_seconds: int | None) -> list[_Change]:
    res = resolve(sess, kind, api_version)
    protected = _settings_list(ctx, "protected_namespaces")
    is_ns = res.is_core("Namespace")
    if "delete" not in res.verbs:
        raise ToolError(f"{res.label} cannot be deleted")
    if name is None and not all and label_selector is None:
        raise ToolError("name an object, or pass label_selector, or all=true")
    if name and (all or label_selector):
        raise ToolError("pass either name or label_selector/all, not both")
    if is_ns and not name:
        raise ToolError("namespaces are deleted one at a time, by name")
    if is_ns and name in protected:
        raise ToolError(f"namespace {name!r} is protected and cannot be deleted")
    ns = _namespace(sess, ctx, res, namespace, write=True, name=name if is_ns else None)
    if not name and ns in protected:
        raise ToolError(f"namespace {ns!r} is protected: bulk deletes there are refused")
    options: dict[str, Any] = {"propagationPolicy": "Background"}
    if grace_period_seconds is not None:
        options["gracePeriodSeconds"] = grace_period_seconds
    if name:
        return [_Change(res=res, ns=ns, name=name, method="DELETE", body=options)]
    doc = _request(sess, "GET", res.path(ns), query=[("labelSelector", label_selector or None), ("limit", MAX_SCAN)])
    items = sorted(doc.get("items") or [], key=lambda o: ((o.get("metadata") or {}).get("namespace", ""),
                                                         (o.get("metadata") or {}).get("name", "")))
    if not items:
        raise ToolError(f"no {res.label} match in {ns or 'the cluster'}"
                        f"{' for ' + repr(label_selector) if label_selector else ''}")
    return [_Change(res=res, ns=ns, name=str(o["metadata"]["name"]), method="DELETE",
                    body={**options, "preconditions": {"uid": o["metadata"].get("uid")}})
            for o in items]


def _delete_preview(sess: _Session, changes: list[_Change]) -> str:
    for change in changes:
        _dry_run(sess, change, set())
    if len(changes) > 3:  # many objects: the list, not every diff
        head = [f"# k8s_delete on context {sess.context}: {len(changes)} {changes[0].res.label} "
                f"in {changes[0].ns or 'the cluster'} (server-side dry-run passed)"]
        return "\n".join([*head, *(f"- {c.ref}" for c in changes)]) + "\n"
    return _render(sess, "k8s_delete", changes, max_lines=40)


def preview_delete(*, kind: str, name: str | None = None, namespace: str | None = None,
                   label_selector: str | None = None, all: bool = False, api_version: str | None = None,
                   grace_period_seconds: int | None = None, ctx: ToolContext) -> str:
    sess = _session(ctx)
    changes = _delete_changes(sess, ctx, kind, name, namespace, label_selector, all, api_version,
                              grace_period_seconds)
    return _delete_preview(sess, changes)


def delete(*, kind: str, name: str | None = None, namespace: str | None = None, label_selector: str | None = None,
           all: bool = False, api_version: str | None = None, grace_period_seconds: int | None = None,
           ctx: ToolContext) -> dict[str, Any]:
    """Delete one object, or exactly the objects a selector (or all=true) matched in the approved preview."""
    sess = _session(ctx)
    changes = _delete_changes(sess, ctx, kind, name, namespace, label_selector, all, api_version,
                              grace_period_seconds)
    _check_bound(ctx, _delete_preview(sess, changes))
    return _outcome(_execute(sess, changes), len(changes))


# ------------------------------------------------------------------------------------------ other reads


def top(*, kind: str = "pods", namespace: str | None = None, all_namespaces: bool = False,
        sort_by: str = "cpu", limit: int = 20, ctx: ToolContext) -> dict[str, Any]:
    """CPU and memory from metrics.k8s.io (metrics-server), heaviest first."""
    sess = _session(ctx)
    if not any(g == "metrics.k8s.io" for g, _, _ in _groups(sess, refresh=True)):
        raise ToolError("metrics API not served (metrics.k8s.io): install metrics-server to use k8s_top")
    nodes = kind.lower() in ("node", "nodes", "no")
    if not nodes and kind.lower() not in ("pod", "pods", "po"):
        raise ToolError("k8s_top shows pods or nodes")
    ns = None if nodes else _namespace(sess, ctx, None, namespace, write=False, all_namespaces=all_namespaces)
    path = "/apis/metrics.k8s.io/v1beta1/nodes" if nodes else (
        f"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods" if ns else "/apis/metrics.k8s.io/v1beta1/pods")
    rows: list[dict[str, Any]] = []
    for item in _request(sess, "GET", path).get("items") or []:
        usage: dict[str, float] = {"cpu": 0.0, "memory": 0.0}
        for part in item.get("containers") or [item]:
            for key in usage:
                usage[key] += ks.quantity(str((part.get("usage") or {}).get(key, "0")))
        meta = item.get("metadata") or {}
        rows.append({"name": meta.get("name"), **({"namespace": meta.get("namespace")} if ns is None and not nodes
                                                   else {}),
                     "cpu_millicores": round(usage["cpu"] * 1000), "memory_mib": round(usage["memory"] / 2**20, 1)})
    key = "cpu_millicores" if sort_by == "cpu" else "memory_mib"
    rows.sort(key=lambda r: (-float(r[key]), str(r["name"])))
    return {"kind": "nodes" if nodes else "pods", "total": len(rows), "rows": rows[:limit]}


def contexts(*, ctx: ToolContext) -> dict[str, Any]:
    """The kubeconfig's contexts (no credentials), the current one and the one this session is pinned to."""
    files = kubeconfig_files()
    if not files:
        raise ToolError(_no_kubeconfig())
    kc = load_kubeconfig(files)
    pinned = ctx.settings.kube_context or kc["current-context"]
    pattern = str(getattr(ctx.settings, "kube_production_pattern", "") or "")
    rows = []
    for name, entry in sorted(kc["contexts"].items()):
        cluster = str(entry.get("cluster") or "")
        rows.append({"name": name, "cluster": cluster, "server": (kc["clusters"].get(cluster) or {}).get("server"),
                     "namespace": entry.get("namespace") or "default",
                     "production": bool(pattern and re.search(pattern, name))})
    return {"current": kc["current-context"], "pinned": pinned, "contexts": rows,
            "note": "a session stays on its pinned context (setting kube_context)"}


def namespaces(*, ctx: ToolContext) -> dict[str, Any]:
    """Namespaces with status and age, marked protected / in this session's scope."""
    sess = _session(ctx)
    allowed = _settings_list(ctx, "kube_namespaces")
    protected = set(_settings_list(ctx, "protected_namespaces"))
    doc = _request(sess, "GET", "/api/v1/namespaces")
    rows = []
    for item in doc.get("items") or []:
        meta = item.get("metadata") or {}
        name = str(meta.get("name"))
        row: dict[str, Any] = {"name": name, "status": (item.get("status") or {}).get("phase", ""),
                               "age": ks.age(meta.get("creationTimestamp"))}
        if name in protected:
            row["protected"] = True
        if allowed:
            row["in_scope"] = name in allowed
        rows.append(row)
    rows.sort(key=lambda r: str(r["name"]))
    out: dict[str, Any] = {"context": sess.context, "default": allowed[0] if allowed else sess.namespace,
                           "total": len(rows), "namespaces": rows}
    if allowed:
        out["scope"] = allowed
    return out


def api_resources(*, group: str | None = None, namespaced: bool | None = None,
                  ctx: ToolContext) -> dict[str, Any]:
    """Kinds the cluster serves (preferred versions): name, short names, apiVersion, namespaced, kind."""
    sess = _session(ctx)
    rows = []
    for res in sorted(all_resources(sess, refresh=True), key=lambda r: (_group_rank(r.group), r.plural)):
        if group is not None and res.group != group:
            continue
        if namespaced is not None and res.namespaced != namespaced:
            continue
        rows.append([res.plural, ",".join(res.short_names), res.api_version, res.namespaced, res.kind])
    return {"server": _version_note(sess).strip(" ()"), "columns": ["NAME", "SHORTNAMES", "APIVERSION",
                                                                    "NAMESPACED", "KIND"], "rows": rows}
