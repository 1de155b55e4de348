"""Read tools: get, describe, logs, events, rollout status, top, contexts, namespaces."""

from __future__ import annotations

import re
import time
from typing import Any

from reign import kubeconfig
from reign.errors import ToolError
from reign.managers.kubernetes import summary as ks
from reign.managers.kubernetes.client import (
    TABLE_ACCEPT,
    ApiSession,
    KubeApiError,
    Resource,
    api_request,
    api_session,
)
from reign.managers.kubernetes.discovery import api_groups, resolve
from reign.managers.kubernetes.scope import namespace_for, object_ref, secret_values_allowed, settings_list
from reign.policy.classifiers.kubernetes import kind_word
from reign.toolcontext import ToolContext

PAGE = 500
MAX_SCAN = 5000
LOG_LIMIT_BYTES = 256 * 1024
ROLLOUT_KINDS = ("deployment", "statefulset", "daemonset")
REVISION = "deployment.kubernetes.io/revision"


# ------------------------------------------------------------------------------------------ reads


def _list_tables(sess: ApiSession, res: Resource, ns: str | None, label_selector: str | None,
                 field_selector: str | None) -> tuple[list[dict[str, Any]], bool]:
    tables: list[dict[str, Any]] = []
    token: str | None = None
    scanned = 0
    while True:
        page = api_request(sess, "GET", res.path(ns), accept=TABLE_ACCEPT,
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
    sess = api_session(ctx)
    res = resolve(sess, kind, api_version)
    ns = namespace_for(sess, ctx, res, namespace, write=False, name=name, all_namespaces=all_namespaces and not name)
    if name:
        obj = api_request(sess, "GET", res.path(ns, name))
        reveal = reveal_values and secret_values_allowed(ctx)
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


def _events_for(sess: ApiSession, obj: dict[str, Any], limit: int = 20) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    path = f"/api/v1/namespaces/{meta['namespace']}/events" if meta.get("namespace") else "/api/v1/events"
    doc = api_request(sess, "GET", path, query=[("fieldSelector", f"involvedObject.uid={meta.get('uid', '')}"),
                                             ("limit", PAGE)])
    return ks.summarise_events(doc.get("items") or [], limit=limit)


def replicasets_of(sess: ApiSession, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    meta = deployment.get("metadata") or {}
    selector = (deployment.get("spec") or {}).get("selector", {}).get("matchLabels") or {}
    labels = ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or None
    doc = api_request(sess, "GET", f"/apis/apps/v1/namespaces/{meta.get('namespace')}/replicasets",
                   query=[("labelSelector", labels)])
    owned = [rs for rs in doc.get("items") or []
             if any(o.get("uid") == meta.get("uid") for o in (rs.get("metadata") or {}).get("ownerReferences") or [])]
    return sorted(owned, key=revision_of, reverse=True)


def revision_of(obj: dict[str, Any]) -> int:
    try:
        return int(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, 0))
    except (TypeError, ValueError):
        return 0


def _history_rows(replicasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for rs in replicasets[:10]:
        containers = ((rs.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
        status = rs.get("status") or {}
        rows.append({"revision": revision_of(rs), "replicaset": (rs.get("metadata") or {}).get("name"),
                     "images": [c.get("image") for c in containers],
                     "replicas": f"{status.get('readyReplicas', 0)}/{(rs.get('spec') or {}).get('replicas', 0)}"})
    return rows


def describe(*, kind: str, name: str, namespace: str | None = None, api_version: str | None = None,
             reveal_values: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """The object (trimmed) with its recent events; a Deployment also shows its ReplicaSet history."""
    sess = api_session(ctx)
    res = resolve(sess, kind, api_version)
    ns = namespace_for(sess, ctx, res, namespace, write=False, name=name)
    obj = api_request(sess, "GET", res.path(ns, name))
    reveal = reveal_values and secret_values_allowed(ctx)
    out: dict[str, Any] = {"object": ks.trim(obj, reveal_secret=reveal), "events": _events_for(sess, obj)}
    if res.group == "apps" and res.kind == "Deployment":
        out["replicasets"] = _history_rows(replicasets_of(sess, obj))
    return out


def logs(*, pod: str, namespace: str | None = None, container: str | None = None, tail: int = 200,
         since_seconds: int | None = None, previous: bool = False, ctx: ToolContext) -> str:
    """The last lines of a pod container's log (`previous`: the instance before the last restart)."""
    sess = api_session(ctx)
    ns = namespace_for(sess, ctx, None, namespace, write=False)
    try:
        text: str = api_request(sess, "GET", f"/api/v1/namespaces/{ns}/pods/{pod}/log", accept="application/json, */*",
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
    sess = api_session(ctx)
    ns = namespace_for(sess, ctx, None, namespace, write=False, all_namespaces=all_namespaces)
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
        doc = api_request(sess, "GET", path, query=[("fieldSelector", ",".join(selectors) or None), ("limit", PAGE),
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


def rollout_target(sess: ApiSession, ctx: ToolContext, kind: str, namespace: str | None,
                    *, write: bool) -> tuple[Resource, str, str]:
    word, group = kind_word(kind)
    canon = {"ds": "daemonset", "sts": "statefulset", "deploy": "deployment"}.get(word, word.removesuffix("s"))
    if group not in (None, "apps"):
        canon = f"{canon}.{group}"
    if canon not in ROLLOUT_KINDS:
        raise ToolError(f"rollouts apply to deployments, statefulsets and daemonsets, not {kind!r}")
    res = resolve(sess, f"{canon}.apps")
    ns = namespace_for(sess, ctx, res, namespace, write=write)
    if ns is None:
        raise ToolError(f"a rollout of a {canon} happens in one namespace: name it")
    return res, ns, canon


def rollout_status(*, name: str, kind: str = "deployment", namespace: str | None = None, wait_seconds: int = 0,
                   ctx: ToolContext) -> dict[str, Any]:
    """kubectl rollout status: done or what it waits for (polls up to wait_seconds); revision history."""
    sess = api_session(ctx)
    res, ns, canon = rollout_target(sess, ctx, kind, namespace, write=False)
    deadline = time.monotonic() + min(float(wait_seconds), max(1.0, sess.timeout - 3))
    while True:
        obj = api_request(sess, "GET", res.path(ns, name))
        done, message = _rollout_message(canon, obj)
        if done or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    out: dict[str, Any] = {"object": object_ref(res, ns, name), "done": done, "status": message}
    if canon == "deployment":
        out["revision"] = revision_of(obj)
        out["history"] = _history_rows(replicasets_of(sess, obj))
    return out


# ------------------------------------------------------------------------------------------ other reads


def top(*, kind: str = "pods", namespace: str | None = None, all_namespaces: bool = False,
        sort_by: str = "cpu", limit: int = 20, ctx: ToolContext) -> dict[str, Any]:
    """CPU and memory from metrics.k8s.io (metrics-server), heaviest first."""
    sess = api_session(ctx)
    if not any(g == "metrics.k8s.io" for g, _, _ in api_groups(sess, refresh=True)):
        raise ToolError("metrics API not served (metrics.k8s.io): install metrics-server to use k8s_top")
    nodes = kind.lower() in ("node", "nodes", "no")
    if not nodes and kind.lower() not in ("pod", "pods", "po"):
        raise ToolError("k8s_top shows pods or nodes")
    ns = None if nodes else namespace_for(sess, ctx, None, namespace, write=False, all_namespaces=all_namespaces)
    path = "/apis/metrics.k8s.io/v1beta1/nodes" if nodes else (
        f"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods" if ns else "/apis/metrics.k8s.io/v1beta1/pods")
    rows: list[dict[str, Any]] = []
    for item in api_request(sess, "GET", path).get("items") or []:
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
    files = kubeconfig.files()
    if not files:
        raise ToolError(kubeconfig.missing_reason())
    kc = kubeconfig.load(files)
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
    sess = api_session(ctx)
    allowed = settings_list(ctx, "kube_namespaces")
    protected = set(settings_list(ctx, "protected_namespaces"))
    doc = api_request(sess, "GET", "/api/v1/namespaces")
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
