"""API discovery: which resource kinds the server serves, and resolving the model's kind words to them."""

from __future__ import annotations

import time
from typing import Any

from reign.errors import ToolError
from reign.managers.kubernetes.client import ApiSession, KubeApiError, Resource, api_request, api_session
from reign.policy.classifiers.kubernetes import kind_word
from reign.toolcontext import ToolContext

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


def _group_version(sess: ApiSession, gv: str, *, refresh: bool = False) -> list[Resource]:
    if gv in sess.by_gv and not refresh:
        return sess.by_gv[gv]
    path = f"/api/{gv}" if "/" not in gv else f"/apis/{gv}"
    try:
        doc = api_request(sess, "GET", path)
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


def api_groups(sess: ApiSession, *, refresh: bool = False) -> list[tuple[str, str, tuple[str, ...]]]:
    if sess.groups is None or refresh or time.monotonic() - sess.discovered_at > 300:
        doc = api_request(sess, "GET", "/apis")
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


def all_resources(sess: ApiSession, *, refresh: bool = False) -> list[Resource]:
    out: list[Resource] = []
    for group, preferred, _ in api_groups(sess, refresh=refresh):
        out.extend(_group_version(sess, _gv(group, preferred), refresh=refresh))
    return out


def resolve(sess: ApiSession, kind: str, api_version: str | None = None) -> Resource:
    """The resource a kind names: `pods`, `po`, `Pod`, `deployments.apps`, `certificates.cert-manager.io`..."""
    word, group = kind_word(kind)
    if group in ("core", "v1"):
        group = ""
    if api_version:
        for refresh in (False, True):
            if refresh:
                api_groups(sess, refresh=True)
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


def resolve_doc(sess: ApiSession, doc: dict[str, Any]) -> Resource:
    api_version, kind = str(doc.get("apiVersion")), str(doc.get("kind"))
    for refresh in (False, True):
        if refresh:
            api_groups(sess, refresh=True)
        for res in _group_version(sess, api_version, refresh=refresh):
            if res.kind == kind:
                return res
    raise ToolError(f"no kind {kind} in {api_version} on this cluster{_version_note(sess)} (CRD not installed, "
                    "or an API version this server does not serve)")


def _version_note(sess: ApiSession) -> str:
    if not sess.version:
        try:
            sess.version = str(api_request(sess, "GET", "/version", timeout=5.0).get("gitVersion") or "")
        except ToolError:
            return ""
    return f" (Kubernetes {sess.version})" if sess.version else ""


def api_resources(*, group: str | None = None, namespaced: bool | None = None,
                  ctx: ToolContext) -> dict[str, Any]:
    """Kinds the cluster serves (preferred versions): name, short names, apiVersion, namespaced, kind."""
    sess = api_session(ctx)
    rows = []
    for res in sorted(all_resources(sess, refresh=True), key=lambda r: (_group_rank(r.group), r.plural)):
        if group is not None and res.group != group:
            continue
        if namespaced is not None and res.namespaced != namespaced:
            continue
        rows.append([res.plural, ",".join(res.short_names), res.api_version, res.namespaced, res.kind])
    return {"server": _version_note(sess).strip(" ()"), "columns": ["NAME", "SHORTNAMES", "APIVERSION",
                                                                    "NAMESPACED", "KIND"], "rows": rows}
