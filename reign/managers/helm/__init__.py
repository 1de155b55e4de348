"""Helm manager: charts (create, lint, template, show, package) and releases (list, status, history, install,
upgrade, rollback, uninstall).

The engine is PyPI's `helm-python-sdk` (module `helm_python`: Helm v4 as a shared library, no binary, no
network for local charts); without it, a `helm` binary on PATH (Helm 3 or 4) is driven with `-o json`.
`REIGN_HELM_ENGINE=sdk|cli` forces one. Both are imported or found lazily.

Charts and values files are paths under `settings.workspace_root` (symlinks resolved; a chart holding a
symlink that leaves the root is refused, since templates can read chart files). Values: the files in order,
then `set` ({"image.tag": "v2"}: dotted keys, JSON-typed values) on top.

Releases use the kubeconfig context the Kubernetes manager uses (`settings.kube_context`, else the current
one) and the same namespace scope: a call that names no namespace uses the first of `kube_namespaces`, else
the context's namespace. Rendered objects that name another namespace are refused when that namespace is out
of scope or protected, and cluster-scoped objects are refused in a scoped session. install and upgrade preview
the rendered manifest (server dry-run) against the release's current one; rollback previews the target
revision's manifest; uninstall lists what goes. An approved preview is re-checked before anything changes.

Files, one job each:
- `engine.py`: What a Helm engine does (the protocol both engines follow) and the release summary they share.
- `sdk.py`: The Helm engine over the helm Python SDK.
- `cli.py`: The Helm engine over the helm binary (argv, no shell).
- `values.py`: Chart paths and values: confined to the workspace, --set paths merged, rendered manifests diffed.
- `charts.py`: Chart tools: create, lint, template, show, package.
- `releases.py`: Release tools: list, status, history, install/upgrade/rollback/uninstall with their previews.
- `choice.py`: Which Helm engine serves a call (the helm Python SDK or the helm CLI), and whether Helm is available
  here.
"""
