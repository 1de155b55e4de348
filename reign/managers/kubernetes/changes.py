"""Planned changes: each write is a list of changes, dry-run on the server for the preview, then executed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reign.errors import ToolError
from reign.managers.kubernetes import summary as ks
from reign.managers.kubernetes.client import FIELD_MANAGER, ApiSession, KubeApiError, Resource, api_request, get_or_none
from reign.managers.kubernetes.discovery import resolve, resolve_doc
from reign.managers.kubernetes.reads import MAX_SCAN, replicasets_of, revision_of, rollout_target
from reign.managers.kubernetes.scope import namespace_for, object_ref, settings_list
from reign.policy.classifiers.kubernetes import parse_manifest
from reign.toolcontext import ToolContext

CHANGED = "the live object changed since the diff was approved; ask again"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


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
        return object_ref(self.res, self.ns, self.name)

    @property
    def path(self) -> str:
        return self.res.path(self.ns, self.name, self.sub)


def dry_run_change(sess: ApiSession, change: _Change, created_namespaces: set[str]) -> None:
    change.live = get_or_none(sess, change.path)
    if change.method == "DELETE":
        if change.live is None:
            raise ToolError(f"{change.ref} not found")
        # DeleteOptions travel in the body: with a body the server ignores the query's dryRun (it would delete!)
        api_request(sess, "DELETE", change.path, body={**(change.body or {}), "dryRun": ["All"]})
        change.dry = None
        return
    try:
        for _ in range(3):  # a controller may write in between: diff the dry-run against the version it started from
            change.dry = api_request(sess, change.method, change.path, body=change.body,
                                  content_type=change.content_type, query=[("dryRun", "All"), *change.query])
            if change.live is None or _version(change.dry) == _version(change.live):
                break
            change.live = get_or_none(sess, change.path)
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


def render_changes(sess: ApiSession, tool: str, changes: list[_Change], *, max_lines: int = 0) -> str:
    lines = [f"# {tool} on context {sess.context}: diff of live objects against the server-side dry-run"]
    for change in changes:
        before = ks.without_bookkeeping(change.live)
        after = ks.without_bookkeeping(change.dry, creating=change.live is None)
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


def execute_changes(sess: ApiSession, changes: list[_Change]) -> list[dict[str, Any]]:
    results = []
    for change in changes:
        before = ks.without_bookkeeping(change.live)
        after = ks.without_bookkeeping(change.dry, creating=change.live is None)
        try:
            if change.method == "DELETE":
                api_request(sess, "DELETE", change.path, body=change.body)
                result = "deleted"
            else:
                api_request(sess, change.method, change.path, body=change.body, content_type=change.content_type,
                         query=change.query)
                result = "created" if change.live is None else ("configured" if before != after else "unchanged")
        except KubeApiError as exc:
            results.append({"object": change.ref, "result": "failed", "error": str(exc)})
            break
        results.append({"object": change.ref, "result": result})
    return results


def outcome(results: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """The results, or a ToolError saying what failed, what was done before it and what was not attempted."""
    failed = [r for r in results if r["result"] == "failed"]
    if failed:
        done = ", ".join(f"{r['object']} {r['result']}" for r in results if r["result"] != "failed") or "nothing"
        raise ToolError(f"{failed[0]['object']} failed: {failed[0]['error']} (done before it: {done}; "
                        f"not attempted: {total - len(results)})")
    return {"results": results}


def apply_changes(sess: ApiSession, ctx: ToolContext, manifest: str, namespace: str | None,
                   force_conflicts: bool) -> list[_Change]:
    try:
        docs = parse_manifest(manifest)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    changes: list[_Change] = []
    for doc in docs:
        res = resolve_doc(sess, doc)
        meta = doc.setdefault("metadata", {})
        name = str(meta.get("name"))
        doc_ns = meta.get("namespace")
        if doc_ns and namespace and doc_ns != namespace and res.namespaced:
            raise ToolError(f"{res.kind} {name}: the manifest says namespace {doc_ns!r} but the call says "
                            f"{namespace!r}")
        ns = namespace_for(sess, ctx, res, doc_ns or namespace, write=True, name=name if res.is_core("Namespace")
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


def dry_run_all(sess: ApiSession, changes: list[_Change]) -> None:
    created = {c.name for c in changes if c.res.is_core("Namespace")}
    created -= {c.name for c in changes if c.res.is_core("Namespace") and get_or_none(sess, c.path) is not None}
    for change in changes:
        dry_run_change(sess, change, created)


_PATCH_TYPES = {"strategic": "application/strategic-merge-patch+json", "merge": "application/merge-patch+json",
                "json": "application/json-patch+json"}


def patch_change(sess: ApiSession, ctx: ToolContext, kind: str, name: str, patch: Any, patch_type: str,
                  namespace: str | None, api_version: str | None) -> _Change:
    if patch_type == "json" and not isinstance(patch, list):
        raise ToolError("a json patch is a list of operations ([{op, path, value}])")
    if patch_type != "json" and not isinstance(patch, dict):
        raise ToolError(f"a {patch_type} patch is an object (a partial manifest)")
    res = resolve(sess, kind, api_version)
    ns = namespace_for(sess, ctx, res, namespace, write=True, name=name if res.is_core("Namespace") else None)
    return _Change(res=res, ns=ns, name=name, method="PATCH", body=patch, content_type=_PATCH_TYPES[patch_type],
                   query=[("fieldManager", FIELD_MANAGER)])


def scale_change(sess: ApiSession, ctx: ToolContext, kind: str, name: str, replicas: int,
                  namespace: str | None) -> _Change:
    res = resolve(sess, kind)
    if "scale" not in res.subresources:
        raise ToolError(f"{res.label} has no scale subresource")
    ns = namespace_for(sess, ctx, res, namespace, write=True)
    return _Change(res=res, ns=ns, name=name, method="PATCH", sub="scale", body={"spec": {"replicas": replicas}},
                   content_type="application/merge-patch+json", query=[("fieldManager", FIELD_MANAGER)])


def undo_change(sess: ApiSession, ctx: ToolContext, name: str, namespace: str | None,
                 to_revision: int | None) -> tuple[_Change, int]:
    res, ns, _ = rollout_target(sess, ctx, "deployment", namespace, write=True)
    deployment = api_request(sess, "GET", res.path(ns, name))
    if (deployment.get("spec") or {}).get("paused"):
        raise ToolError(f"deployment {name!r} is paused: resume it before rolling back")
    current = revision_of(deployment)
    history = replicasets_of(sess, deployment)
    if to_revision:
        target = next((rs for rs in history if revision_of(rs) == to_revision), None)
        if target is None:
            have = ", ".join(str(revision_of(rs)) for rs in history) or "none"
            raise ToolError(f"deployment {name!r} has no revision {to_revision} (revisions: {have})")
    else:
        target = next((rs for rs in history if revision_of(rs) < current), None)
        if target is None:
            raise ToolError(f"deployment {name!r} has no previous revision to roll back to")
    template = json.loads(json.dumps((target.get("spec") or {}).get("template") or {}))
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop("pod-template-hash", None)
    body = [{"op": "replace", "path": "/spec/template", "value": template}]
    change = _Change(res=res, ns=ns, name=name, method="PATCH", body=body, content_type=_PATCH_TYPES["json"],
                     query=[("fieldManager", FIELD_MANAGER)])
    return change, revision_of(target)


def delete_changes(sess: ApiSession, ctx: ToolContext, kind: str, name: str | None, namespace: str | None,
                    label_selector: str | None, all: bool, api_version: str | None,
                    grace_period_seconds: int | None) -> list[_Change]:
    res = resolve(sess, kind, api_version)
    protected = settings_list(ctx, "protected_namespaces")
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
    ns = namespace_for(sess, ctx, res, namespace, write=True, name=name if is_ns else None)
    if not name and ns in protected:
        raise ToolError(f"namespace {ns!r} is protected: bulk deletes there are refused")
    options: dict[str, Any] = {"propagationPolicy": "Background"}
    if grace_period_seconds is not None:
        options["gracePeriodSeconds"] = grace_period_seconds
    if name:
        return [_Change(res=res, ns=ns, name=name, method="DELETE", body=options)]
    doc = api_request(sess, "GET", res.path(ns), query=[("labelSelector", label_selector or None), ("limit", MAX_SCAN)])
    items = sorted(doc.get("items") or [], key=lambda o: ((o.get("metadata") or {}).get("namespace", ""),
                                                         (o.get("metadata") or {}).get("name", "")))
    if not items:
        raise ToolError(f"no {res.label} match in {ns or 'the cluster'}"
                        f"{' for ' + repr(label_selector) if label_selector else ''}")
    return [_Change(res=res, ns=ns, name=str(o["metadata"]["name"]), method="DELETE",
                    body={**options, "preconditions": {"uid": o["metadata"].get("uid")}})
            for o in items]


def delete_preview(sess: ApiSession, changes: list[_Change]) -> str:
    for change in changes:
        dry_run_change(sess, change, set())
    if len(changes) > 3:  # many objects: the list, not every diff
        head = [f"# k8s_delete on context {sess.context}: {len(changes)} {changes[0].res.label} "
                f"in {changes[0].ns or 'the cluster'} (server-side dry-run passed)"]
        return "\n".join([*head, *(f"- {c.ref}" for c in changes)]) + "\n"
    return render_changes(sess, "k8s_delete", changes, max_lines=40)
