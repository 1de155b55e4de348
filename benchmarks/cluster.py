"""Synthetic `kubectl get pods -A` output of a large cluster, with exactly one CrashLoopBackOff pod.

Like the real command, lines are sorted by namespace, then pod name (the API server lists pods in its
key order, /registry/pods/<namespace>/<name>), and columns are padded the way kubectl's tabwriter pads
them. Where the broken pod lands therefore depends only on its namespace and name:

  head    namespace `analytics` (sorts first), pod `aggregator-...` : within the first lines
  middle  namespace `orders`, pod `order-api-...`                     : about two thirds down
  tail    namespace `web` (sorts last), pod `storefront-...`          : within the last lines
"""

from __future__ import annotations

import random
from functools import lru_cache

NAMESPACES = ["analytics", "argocd", "auth", "cart", "catalog", "cert-manager", "checkout", "default", "gateway",
              "ingress-nginx", "inventory", "istio-system", "kube-system", "logging", "monitoring",
              "notifications", "orders", "payments", "recommendations", "reporting", "search", "shipping",
              "users", "web"]
WORDS = ["api", "worker", "cache", "db-proxy", "scheduler", "consumer", "exporter", "gateway", "indexer", "sync",
         "auth", "billing", "cron", "events", "frontend", "grpc", "ingest", "metrics", "notifier", "queue",
         "reader", "render", "search", "session", "stream", "uploader", "validator", "webhook", "writer"]
CRASH = {"head": ("analytics", "aggregator"), "middle": ("orders", "order-api"), "tail": ("web", "storefront")}
_ALNUM = "bcdfghjklmnpqrstvwxz2456789"


def _suffix(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(n))


@lru_cache(maxsize=8)
def _base(lines: int, placement: str) -> tuple[list[list[str]], int, str]:
    """Rows (without the header) sorted like kubectl, the index of the crashing pod, and its name."""
    rng = random.Random(20240611)
    per_ns = max(1, lines // len(NAMESPACES))
    rows: list[list[str]] = []
    for ns in NAMESPACES:
        made = 0
        while made < per_ns:
            deploy = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}"
            rs = _suffix(rng, 10)
            for _ in range(min(rng.randint(1, 8), per_ns - made)):
                status, ready, restarts = "Running", "1/1", "0"
                roll = rng.random()
                if roll < 0.04:
                    status, ready = "Completed", "0/1"
                elif roll < 0.10:
                    restarts = f"{rng.randint(1, 3)} ({rng.randint(2, 20)}d ago)"
                rows.append([ns, f"{deploy}-{rs}-{_suffix(rng, 5)}", ready, status, restarts,
                             f"{rng.randint(20, 90)}d"])
                made += 1
    crash_ns, crash_deploy = CRASH[placement]
    crash_name = f"{crash_deploy}-7f9c6d5b8-x2k4q"
    rows.append([crash_ns, crash_name, "0/1", "CrashLoopBackOff", "", "3d4h"])
    rows.sort(key=lambda r: (r[0], r[1]))
    index = next(i for i, r in enumerate(rows) if r[1] == crash_name)
    return rows, index, crash_name


def crash_pod(placement: str, lines: int) -> tuple[str, int, int]:
    """The crashing pod's name, its line number in the output (1 = header) and the number of lines."""
    rows, index, name = _base(lines, placement)
    return name, index + 2, len(rows) + 1


def pods_output(*, step: int, lines: int, placement: str) -> str:
    rows, index, _ = _base(lines, placement)
    rows = [list(r) for r in rows]
    rows[index][4] = f"{40 + step} (2m ago)"  # the broken pod keeps restarting while the session goes on
    table = [["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"], *rows]
    widths = [max(len(r[c]) for r in table) for c in range(5)]
    return "\n".join("   ".join(cell.ljust(widths[c]) for c, cell in enumerate(r[:5])) + "   " + r[5]
                     for r in table) + "\n"
