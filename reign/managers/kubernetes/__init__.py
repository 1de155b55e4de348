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
approved the tool recomputes it and refuses if the world changed in between (`ctx.check_approved`).

Files, one job each:
- `client.py`: The Kubernetes API session: kubeconfig, one cached HTTP session per context, requests and their errors.
- `discovery.py`: API discovery: which resource kinds the server serves, and resolving the model's kind words to them.
- `scope.py`: The namespace scope from settings: which namespaces a call may touch, and whether Secret values may be
  shown.
- `reads.py`: Read tools: get, describe, logs, events, rollout status, top, contexts, namespaces.
- `changes.py`: Planned changes: each write is computed as a list of changes, dry-run on the server for the preview,
  then executed.
- `writes.py`: Write tools and their previews: apply, patch, scale, rollout restart/undo, delete.
- `summary.py`: Summaries for the model: tables, events, object diffs, Secret redaction.
"""
