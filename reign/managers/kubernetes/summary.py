"""Pure helpers of the Kubernetes manager: trimming objects, redacting Secrets, summarising lists, diffs.

No client and no I/O here, so that all of it is tested without a cluster. Everything returned is
deterministic for the same input: previews built from it are bound to approvals.
"""

from __future__ import annotations

import base64
import copy
import difflib
import hashlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Annotations controllers write on their own schedule: never part of a change anyone approves.
CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/revision", "deployment.kubernetes.io/revision-history",
                          "deployment.kubernetes.io/desired-replicas", "deployment.kubernetes.io/max-replicas",
                          "endpoints.kubernetes.io/last-change-trigger-time")
NOISY_METADATA = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink")
# Fields the API server allocates on create: a dry-run may fill them with values a real create would not repeat.
_ALLOCATED_SPEC = ("clusterIP", "clusterIPs", "healthCheckNodePort")
STATUS_COLUMNS = ("Status", "Phase", "STATUS", "PHASE", "State")


# ------------------------------------------------------------------------------------------- objects


def ref(obj: dict[str, Any]) -> str:
    """`Deployment demo/web` (or `Namespace demo` for cluster-scoped objects)."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind', '?')} {ns + '/' if ns else ''}{meta.get('name', '?')}"


def is_secret(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == "Secret" and str(obj.get("apiVersion", "v1")) == "v1"


def _size(value: Any, *, encoded: bool) -> int:
    text = str(value or "")
    if encoded:
        try:
            return len(base64.b64decode(text, validate=False))
        except (ValueError, TypeError):
            return len(text)
    return len(text.encode())


def redact_secret(obj: dict[str, Any], *, fingerprint: bool = False) -> dict[str, Any]:
    """Secret `data`/`stringData` values replaced with `<redacted: N bytes>` (keys kept).

    With fingerprint=True the marker carries a short sha256 of the value, so that a diff still shows that a
    value changed without showing it.
    """
    out = copy.deepcopy(obj)
    for field, encoded in (("data", True), ("stringData", False)):
        values = out.get(field)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            size = _size(value, encoded=encoded)
            mark = f"<redacted: {size} bytes"
            if fingerprint:
                mark += f", sha256:{hashlib.sha256(str(value).encode()).hexdigest()[:12]}"
            values[key] = mark + ">"
    return out


def trim(obj: dict[str, Any], *, reveal_secret: bool = False) -> dict[str, Any]:
    """One object for the model: no managedFields, no last-applied annotation; Secret values redacted."""
    out = copy.deepcopy(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        meta.pop("selfLink", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
            if not annotations:
                meta.pop("annotations")
    if is_secret(out) and not reveal_secret:
        out = redact_secret(out)
    return out


def without_bookkeeping(obj: dict[str, Any] | None, *, creating: bool = False) -> dict[str, Any] | None:
    """An object as a diff shows it: no server bookkeeping (managedFields, resourceVersion, uid, generation,
    creationTimestamp, status), no last-applied annotation, Secret values fingerprinted (never shown)."""
    if obj is None:
        return None
    out = trim(obj)
    if is_secret(obj):
        out = redact_secret({**out, "data": obj.get("data"), "stringData": obj.get("stringData")}, fingerprint=True)
        out = {k: v for k, v in out.items() if v is not None}
    out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in NOISY_METADATA:
            meta.pop(key, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for key in CONTROLLER_ANNOTATIONS:
                annotations.pop(key, None)
            if not annotations:
                meta.pop("annotations")
        if creating:
            meta.pop("deletionTimestamp", None)
    spec = out.get("spec")
    if creating and isinstance(spec, dict):
        for key in _ALLOCATED_SPEC:
            spec.pop(key, None)
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.pop("nodePort", None)
    return out


def to_yaml(obj: Any) -> str:
    import yaml

    return str(yaml.safe_dump(obj, sort_keys=True, default_flow_style=False, width=10_000, allow_unicode=True))


def object_diff(before: dict[str, Any] | None, after: dict[str, Any] | None, label: str,
                *, max_lines: int = 0) -> str:
    """Unified diff of two objects without bookkeeping (None = absent); "" when they are equal."""
    a = to_yaml(before).splitlines(keepends=True) if before is not None else []
    b = to_yaml(after).splitlines(keepends=True) if after is not None else []
    if a == b:
        return ""
    lines = list(difflib.unified_diff(a, b, fromfile=f"live/{label}" if before is not None else "/dev/null",
                                      tofile=f"dry-run/{label}" if after is not None else "/dev/null", n=3))
    text = [line if line.endswith("\n") else line + "\n" for line in lines]
    if max_lines and len(text) > max_lines:
        text = [*text[:max_lines], f"... ({len(text) - max_lines} more lines)\n"]
    return "".join(text)


# ------------------------------------------------------------------------------------------- lists


def _status_of(row: dict[str, Any], columns: list[str]) -> str | None:
    cells = row.get("cells") or []
    by_name = dict(zip(columns, cells, strict=False))
    for name in STATUS_COLUMNS:
        if name in by_name and by_name[name] not in (None, ""):
            return str(by_name[name])
    ready = by_name.get("Ready")
    if isinstance(ready, str) and "/" in ready:
        have, _, want = ready.partition("/")
        return "ready" if have == want else "not ready"
    return None


def summarise_table(tables: list[dict[str, Any]], *, limit: int, kind: str, namespace: str | None,
                    with_namespace: bool = False) -> dict[str, Any]:
    """Pages of a server-side `Table` (what kubectl get prints) -> counts by status + the first `limit` rows."""
    if not tables:
        return {"kind": kind, "total": 0, "rows": []}
    defs = [c for c in tables[0].get("columnDefinitions") or [] if int(c.get("priority", 0)) == 0]
    all_names = [str(c.get("name")) for c in tables[0].get("columnDefinitions") or []]
    keep = [all_names.index(str(c.get("name"))) for c in defs]
    columns = [str(c.get("name")).upper() for c in defs]
    if with_namespace:
        columns = ["NAMESPACE", *columns]
    counts: Counter[str] = Counter()
    rows: list[list[Any]] = []
    total = 0
    for table in tables:
        for row in table.get("rows") or []:
            total += 1
            status = _status_of(row, all_names)
            if status is not None:
                counts[status] += 1
            if len(rows) < limit:
                cells = row.get("cells") or []
                shown = [cells[i] if i < len(cells) else None for i in keep]
                if with_namespace:
                    ns = ((row.get("object") or {}).get("metadata") or {}).get("namespace", "")
                    shown = [ns, *shown]
                rows.append(shown)
    out: dict[str, Any] = {"kind": kind}
    if namespace is not None:
        out["namespace"] = namespace
    out["total"] = total
    if counts:
        out["by_status"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    out["columns"] = columns
    out["rows"] = rows
    if total > len(rows):
        out["not_shown"] = total - len(rows)
        out["hint"] = "narrow with label_selector, field_selector or name"
    return out


def age(timestamp: str | None, now: datetime | None = None) -> str:
    """kubectl-style age (`42s`, `5m`, `3h`, `2d`) of an RFC 3339 timestamp; "" when unknown."""
    if not timestamp:
        return ""
    try:
        then = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    if seconds < 0:
        seconds = 0
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "m" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def event_row(event: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A core/v1 Event as one compact row."""
    involved = event.get("involvedObject") or event.get("regarding") or {}
    last = (event.get("lastTimestamp") or event.get("eventTime")
            or (event.get("series") or {}).get("lastObservedTime") or event.get("firstTimestamp")
            or (event.get("metadata") or {}).get("creationTimestamp"))
    row: dict[str, Any] = {
        "last_seen": age(last, now),
        "type": event.get("type", ""),
        "reason": event.get("reason", ""),
        "object": f"{involved.get('kind', '')}/{involved.get('name', '')}",
        "message": " ".join(str(event.get("message") or event.get("note") or "").split())[:300],
    }
    count = event.get("count") or (event.get("series") or {}).get("count")
    if count and int(count) > 1:
        row["count"] = int(count)
    return row


def event_time(event: dict[str, Any]) -> str:
    return str(event.get("lastTimestamp") or event.get("eventTime")
               or (event.get("series") or {}).get("lastObservedTime") or event.get("firstTimestamp")
               or (event.get("metadata") or {}).get("creationTimestamp") or "")


def summarise_events(events: list[dict[str, Any]], *, limit: int, now: datetime | None = None) -> dict[str, Any]:
    """Newest first: counts by type and reason, then the `limit` newest rows."""
    ordered = sorted(events, key=event_time, reverse=True)
    by_type = Counter(str(e.get("type") or "Normal") for e in ordered)
    by_reason = Counter(str(e.get("reason") or "") for e in ordered)
    out: dict[str, Any] = {"total": len(ordered), "by_type": dict(sorted(by_type.items()))}
    if len(ordered) > limit:
        out["top_reasons"] = dict(by_reason.most_common(8))
        out["not_shown"] = len(ordered) - limit
    out["events"] = [event_row(e, now) for e in ordered[:limit]]
    return out


def quantity(value: str) -> float:
    """A Kubernetes quantity as a number (CPU in cores, memory in bytes)."""
    text = str(value).strip()
    units = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
             "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "E": 1e18, "Ei": 2**60}
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * units[suffix]
            except ValueError:
                return 0.0
    try:
        return float(text)
    except ValueError:
        return 0.0
