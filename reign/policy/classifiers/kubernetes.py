"""Facts about Kubernetes and Helm calls (tools `k8s_*` and `helm_*`): pure functions, no I/O.

Effects are fixed by the verb, as kubectl-ai does (`VERB_EFFECTS`): never by asking the model. The facts
say which namespaces a call touches and what it does there, so that the policy can scope a session:

  namespace_out_of_scope      the session is scoped (ctx.allowed_namespaces non-empty) and the call touches a
                              namespace outside it, or asks for all namespaces
  cluster_scoped_out_of_scope a scoped session writes or deletes a cluster-scoped object (ClusterRole, Node,
                              CRD...; a Namespace only when its own name is outside the scope)
  protected_namespace         the call touches a namespace in ctx.protected_namespaces (a Namespace object counts
                              as its own namespace)
  deletes_namespace           k8s_delete of Namespace objects
  bulk_delete                 k8s_delete with no name (a label selector or `all`)
  empties_namespace           k8s_delete of every object of a kind in a namespace (`all`, or a blank selector)
  secret_read                 get/describe of Secrets (values stay redacted unless secret_values)
  secret_values               the call asks for Secret values (`reveal_values: true`)
  all_namespaces              the call asks for every namespace
  rbac_write                  a write or delete of Roles, RoleBindings, ClusterRoles, ClusterRoleBindings
  privileged_workload         a manifest or patch with privileged containers, host namespaces (hostPID,
                              hostNetwork, hostIPC), hostPath volumes or dangerous capabilities
  manifest_unparsed           a k8s_apply manifest that is not YAML mappings (the manager refuses it too)

When a call names no namespace, the namespace is the first allowed one (the manager uses the same rule);
in an unscoped session it is the kubeconfig context's, which the gate cannot see, so the manager refuses
writes that would land implicitly in a protected namespace. The manager imports `kind_word` and
`parse_manifest` from here so that both sides read a call the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reign.policy.gate import GateContext

VERB_EFFECTS: dict[str, str] = {
    # kubernetes (tool k8s_<verb>)
    "get": "read", "describe": "read", "logs": "read", "events": "read", "top": "read",
    "rollout_status": "read", "contexts": "read", "namespaces": "read", "api_resources": "read",
    "apply": "write", "patch": "write", "scale": "write", "rollout_restart": "write", "rollout_undo": "write",
    "delete": "destructive",
}
HELM_VERB_EFFECTS: dict[str, str] = {
    "lint": "read", "template": "read", "show": "read", "list": "read", "status": "read", "history": "read",
    "create": "write", "package": "write", "install": "write", "upgrade": "write", "rollback": "write",
    "uninstall": "destructive",
}
HELM_CLUSTER_VERBS = frozenset({"list", "status", "history", "install", "upgrade", "rollback", "uninstall"})

# kind aliases (singular, plural, short names) -> canonical lower-case kind
_ALIASES: dict[str, tuple[str, ...]] = {
    "secret": ("secret", "secrets"),
    "namespace": ("namespace", "namespaces", "ns", "project", "projects"),  # an OpenShift project is one
    "pod": ("pod", "pods", "po"),
    "deployment": ("deployment", "deployments", "deploy"),
    "statefulset": ("statefulset", "statefulsets", "sts"),
    "daemonset": ("daemonset", "daemonsets", "ds"),
    "replicaset": ("replicaset", "replicasets", "rs"),
    "role": ("role", "roles"),
    "rolebinding": ("rolebinding", "rolebindings"),
    "clusterrole": ("clusterrole", "clusterroles"),
    "clusterrolebinding": ("clusterrolebinding", "clusterrolebindings"),
    "node": ("node", "nodes", "no"),
    "persistentvolume": ("persistentvolume", "persistentvolumes", "pv"),
    "customresourcedefinition": ("customresourcedefinition", "customresourcedefinitions", "crd", "crds"),
    "storageclass": ("storageclass", "storageclasses", "sc"),
    "priorityclass": ("priorityclass", "priorityclasses", "pc"),
    "mutatingwebhookconfiguration": ("mutatingwebhookconfiguration", "mutatingwebhookconfigurations"),
    "validatingwebhookconfiguration": ("validatingwebhookconfiguration", "validatingwebhookconfigurations"),
    "apiservice": ("apiservice", "apiservices"),
    "csidriver": ("csidriver", "csidrivers"),
    "csinode": ("csinode", "csinodes"),
    "ingressclass": ("ingressclass", "ingressclasses"),
    "runtimeclass": ("runtimeclass", "runtimeclasses"),
    "podsecuritypolicy": ("podsecuritypolicy", "podsecuritypolicies", "psp"),
    "volumeattachment": ("volumeattachment", "volumeattachments"),
    "certificatesigningrequest": ("certificatesigningrequest", "certificatesigningrequests", "csr"),
    "flowschema": ("flowschema", "flowschemas"),
    "prioritylevelconfiguration": ("prioritylevelconfiguration", "prioritylevelconfigurations"),
    "validatingadmissionpolicy": ("validatingadmissionpolicy", "validatingadmissionpolicies"),
    "validatingadmissionpolicybinding": ("validatingadmissionpolicybinding", "validatingadmissionpolicybindings"),
    "service": ("service", "services", "svc"),
    "configmap": ("configmap", "configmaps", "cm"),
    "persistentvolumeclaim": ("persistentvolumeclaim", "persistentvolumeclaims", "pvc"),
    "job": ("job", "jobs"),
    "cronjob": ("cronjob", "cronjobs", "cj"),
    "ingress": ("ingress", "ingresses", "ing"),
    "serviceaccount": ("serviceaccount", "serviceaccounts", "sa"),
    "event": ("event", "events", "ev"),
}
_CANON = {alias: canon for canon, aliases in _ALIASES.items() for alias in aliases}
CLUSTER_SCOPED = frozenset({
    "namespace", "node", "persistentvolume", "clusterrole", "clusterrolebinding", "customresourcedefinition",
    "storageclass", "priorityclass", "mutatingwebhookconfiguration", "validatingwebhookconfiguration",
    "apiservice", "csidriver", "csinode", "ingressclass", "runtimeclass", "podsecuritypolicy", "volumeattachment",
    "certificatesigningrequest", "flowschema", "prioritylevelconfiguration", "validatingadmissionpolicy",
    "validatingadmissionpolicybinding",
})
RBAC_KINDS = frozenset({"role", "rolebinding", "clusterrole", "clusterrolebinding"})
_CORE_GROUPS = ("", "core", "v1", "apps", "rbac.authorization.k8s.io", "apiextensions.k8s.io", "storage.k8s.io",
                "scheduling.k8s.io", "admissionregistration.k8s.io", "apiregistration.k8s.io", "networking.k8s.io",
                "node.k8s.io", "policy", "certificates.k8s.io")
_DANGEROUS_CAPS = frozenset({"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "DAC_READ_SEARCH",
                             "NET_ADMIN", "BPF"})
_KIND_DEFAULTS = {"scale": "deployment", "rollout_status": "deployment", "rollout_restart": "deployment",
                  "rollout_undo": "deployment", "logs": "pod", "events": "event"}


def kind_word(kind: str) -> tuple[str, str | None]:
    """`Deployment.apps` -> ("deployment", "apps"); `pods` -> ("pods", None). Lower-cased, group split off."""
    word, _, group = kind.strip().partition(".")
    return word.lower(), (group.lower() or None)


def canonical_kind(kind: str) -> str:
    """Canonical lower-case kind of a built-in (`deploy` -> `deployment`); other kinds lower-cased as given.

    A custom resource in a non-core group keeps its own word, so `secrets.example.com` is not a Secret.
    """
    word, group = kind_word(kind)
    if group is not None and group not in _CORE_GROUPS:
        return f"{word}.{group}"
    return _CANON.get(word, word)


def parse_manifest(manifest: Any) -> list[dict[str, Any]]:
    """The objects of a YAML/JSON manifest (one or more documents; a `List` is expanded).

    Raises ValueError when the text is not YAML or a document is not a mapping with kind and metadata.name.
    """
    import yaml

    if isinstance(manifest, dict):
        docs: list[Any] = [manifest]
    elif isinstance(manifest, list):
        docs = list(manifest)
    else:
        try:
            docs = list(yaml.safe_load_all(str(manifest)))
        except yaml.YAMLError as exc:
            raise ValueError(f"manifest is not valid YAML: {' '.join(str(exc).split())[:200]}") from exc
    out: list[dict[str, Any]] = []
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ValueError(f"document {i + 1} of the manifest is not a mapping")
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            out.extend(parse_manifest(doc.get("items") or []))
            continue
        meta = doc.get("metadata")
        if not doc.get("apiVersion") or not doc.get("kind") or not isinstance(meta, dict) or not meta.get("name"):
            raise ValueError(f"document {i + 1} of the manifest needs apiVersion, kind and metadata.name")
        out.append(doc)
    if not out:
        raise ValueError("the manifest holds no objects")
    return out


def default_namespace(args: dict[str, Any], ctx: GateContext) -> str | None:
    """The namespace a call names, else the first allowed one (None: the kubeconfig context's default)."""
    ns = args.get("namespace")
    if isinstance(ns, str) and ns:
        return ns
    allowed = tuple(getattr(ctx, "allowed_namespaces", ()) or ())
    return allowed[0] if allowed else None


def _targets(verb: str, args: dict[str, Any], ctx: GateContext,
             facts: set[str]) -> Iterator[tuple[str, str | None, str]]:
    """(canonical kind, namespace, name) a call touches; namespace None = cluster-scoped or unknown default."""
    ns = default_namespace(args, ctx)
    if verb == "apply" and "manifest" not in args and args.get("manifest_files"):
        facts.add("manifest_file")
        return
    if verb == "apply":
        try:
            docs = parse_manifest(args.get("manifest", ""))
        except ValueError:
            facts.add("manifest_unparsed")
            return
        for doc in docs:
            kind = canonical_kind(str(doc.get("kind", "")))
            meta = doc.get("metadata") or {}
            name = str(meta.get("name") or "")
            if kind == "namespace":
                yield kind, name, name
            elif kind in CLUSTER_SCOPED or kind in _discovered(ctx):
                yield kind, None, name
            else:
                doc_ns = meta.get("namespace")
                yield kind, str(doc_ns) if isinstance(doc_ns, str) and doc_ns else ns, name
        return
    kind = canonical_kind(str(args.get("kind") or _KIND_DEFAULTS.get(verb, "")))
    raw_name = args.get("name") or args.get("release")
    name = str(raw_name) if isinstance(raw_name, str) else ""
    if kind == "namespace":
        yield kind, name or None, name
    elif kind in CLUSTER_SCOPED or kind in _discovered(ctx):
        yield kind, None, name
    else:
        yield kind, ns, name


def _discovered(ctx: GateContext) -> frozenset[str]:
    """Kinds API discovery found cluster-scoped (the runtime puts them in the gate context)."""
    return frozenset(canonical_kind(k) for k in getattr(ctx, "cluster_scoped_kinds", ()) or ())


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, sub in value.items():
            yield str(key), sub
            yield from _walk(sub)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _privileged(value: Any) -> bool:
    for key, sub in _walk(value):
        if key in ("privileged", "hostPID", "hostNetwork", "hostIPC") and sub is True:
            return True
        if key == "hostPath" and sub:
            return True
        if key == "capabilities" and isinstance(sub, dict):
            added = sub.get("add") or []
            if isinstance(added, list) and {str(c).upper().removeprefix("CAP_") for c in added} & _DANGEROUS_CAPS:
                return True
    return False


def facts(tool: str, args: dict[str, Any], ctx: GateContext) -> set[str]:
    out: set[str] = set()
    if tool.startswith("k8s_"):
        verb, effect = tool[4:], VERB_EFFECTS.get(tool[4:], "write")
    elif tool.startswith("helm_"):
        verb, effect = tool[5:], HELM_VERB_EFFECTS.get(tool[5:], "write")
    else:
        return out
    if _production(args, ctx):
        out.add("production_context")
    if tool.startswith("k8s_") and verb in ("contexts", "namespaces", "api_resources"):
        return out
    if tool.startswith("helm_") and verb not in HELM_CLUSTER_VERBS:
        return out
    allowed = tuple(getattr(ctx, "allowed_namespaces", ()) or ())
    protected = tuple(getattr(ctx, "protected_namespaces", ()) or ())
    if args.get("all_namespaces") is True:
        out.add("all_namespaces")
        if allowed:
            out.add("namespace_out_of_scope")
        if effect != "read":
            out.add("protected_namespace")  # every namespace includes the protected ones
    if args.get("reveal_values") is True:
        out.add("secret_values")
    targets = [("helm-release", default_namespace(args, ctx), str(args.get("release") or ""))] \
        if tool.startswith("helm_") else list(_targets(verb, args, ctx, out))
    for kind, ns, _name in targets:
        if ns is not None:
            if allowed and ns not in allowed:
                out.add("namespace_out_of_scope")
            if ns in protected:
                out.add("protected_namespace")
        elif allowed and effect != "read" and kind in CLUSTER_SCOPED:
            # a Namespace with no name is a bulk write of namespaces: never inside a namespace scope
            out.add("namespace_out_of_scope" if kind == "namespace" else "cluster_scoped_out_of_scope")
        if kind == "secret" and verb in ("get", "describe"):
            out.add("secret_read")
        if kind in RBAC_KINDS and effect != "read":
            out.add("rbac_write")
        if kind in CLUSTER_SCOPED and kind != "namespace" and effect != "read":
            out.add("cluster_scoped_write")
        elif kind in _discovered(ctx) and effect != "read":
            out.add("discovered_cluster_scoped")
    if verb == "delete" and tool.startswith("k8s_"):
        if any(kind == "namespace" for kind, _, _ in targets):
            out.add("deletes_namespace")
        if not args.get("name") and not args.get("manifest_files"):
            out.add("bulk_delete")
            selector = args.get("label_selector")
            if args.get("all") is True or (isinstance(selector, str) and not selector.strip()) or (
                    selector is None and not args.get("field_selector")):
                out.add("empties_namespace")
    if verb in ("apply", "create") and _cluster_admin(args):
        out.add("cluster_admin_grant")
    if verb == "apply" and _privileged(_safe_docs(args.get("manifest"))):
        out.add("privileged_workload")
    if verb in ("patch", "run", "debug") and _privileged(args.get("patch")):
        out.add("privileged_workload")
    return out


def targets(tool: str, args: dict[str, Any], ctx: GateContext) -> dict[str, list[str]]:
    """What a call touches, for rules' `target:` key: kinds, namespaces, names and the kube context."""
    verb = tool.split("_", 1)[1] if "_" in tool else tool
    found: dict[str, list[str]] = {"kind": [], "namespace": [], "name": [], "context": []}
    pairs = [("helm-release", default_namespace(args, ctx), str(args.get("release") or ""))] \
        if tool.startswith("helm_") else list(_targets(verb, args, ctx, set()))
    for kind, ns, name in pairs:
        found["kind"].append(kind)
        if ns:
            found["namespace"].append(ns)
        if name:
            found["name"].append(name)
    context = args.get("context") or getattr(ctx, "kube_context", "")
    if context:
        found["context"].append(str(context))
    return found


def _production(args: dict[str, Any], ctx: GateContext) -> bool:
    import re

    context = args.get("context")
    if isinstance(context, str) and context:
        pattern = getattr(ctx, "production_pattern", "") or ""
        return bool(pattern and re.search(pattern, context))
    return False  # the session's own context: production.yaml matches `context: {production: true}`


def _cluster_admin(args: dict[str, Any]) -> bool:
    """A binding to cluster-admin, or a role granting every verb on every resource."""
    if str(args.get("role_ref") or "").removeprefix("clusterrole/") == "cluster-admin":
        return True
    for doc in _safe_docs(args.get("manifest")) if args.get("manifest") else []:
        kind = canonical_kind(str(doc.get("kind", "")))
        ref = doc.get("roleRef")
        binding = kind in ("clusterrolebinding", "rolebinding")
        if binding and isinstance(ref, dict) and ref.get("name") == "cluster-admin":
            return True
        if kind in ("clusterrole", "role") and _grants_everything(doc.get("rules")):
            return True
    return _grants_everything(args.get("rules"))


def _grants_everything(rules: Any) -> bool:
    if not isinstance(rules, list):
        return False
    for rule in rules:
        if isinstance(rule, dict) and "*" in (rule.get("verbs") or []) and "*" in (rule.get("resources") or []):
            return True
    return False


def _safe_docs(manifest: Any) -> list[dict[str, Any]]:
    try:
        return parse_manifest(manifest)
    except ValueError:
        return []
