"""Run a function in several threads at once, each on its own database connection."""

import threading

from django.db import connections


def run_in_threads(n, fn):
    """Start ``n`` threads that call ``fn(i)`` together; return [("ok", result) | ("error", exc)] per thread."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", fn(i))
        except Exception as exc:  # noqa: BLE001  (the test inspects what each thread got)
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
