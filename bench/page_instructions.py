"""Instructions each page costs in the web process, counted by valgrind (callgrind): repeatable where
wall-clock time is not.

On the shared 2-core machines this project is measured on, the same page's time varies by 10-50 %
between runs, which hides most single changes. Callgrind counts the instructions the Python process
executes (not PostgreSQL's or Redis's, which run elsewhere), the same for the same code and data
whatever else the machine is doing. Each page is requested in-process by the busiest project's front
desk (bench.scale.targets), three times to warm up, then five times counted. ``intake`` posts phone
reports of one defect on the busiest project's sampled units, as the load run does (it writes them:
compare two runs on copies of one database, ``createdb -T``).

    make bench-instructions      # on the scale database `make bench` seeded

``python -m bench.page_instructions`` runs each page in a child process under valgrind and prints
millions of instructions per request and the ratio to the trivial page.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.scale.targets import QUEUES

ROOT = Path(__file__).resolve().parents[1]
# The pages the load runs GET as the front desk, by the keys of bench.scale.targets (its QUEUES, path()).
PAGES = ["trivial", *(f"queue:{slug}" for slug in QUEUES), "ticket", "intake"]
WARMUP, COUNTED = 3, 5


def measure(page: str) -> None:
    """In the child, under valgrind: request ``page``, counting only the counted requests."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.scale.targets import intake_form, pick
    from bench.scale.targets import path as page_path
    from tickets import queue_counts

    queue_counts.TTL = 3600  # under valgrind a minute passes quickly: keep the tab counts warm, as wrk sees them
    targets = pick(samples=10)
    path = page_path(page, targets)
    client = Client()
    client.force_login(get_user_model().objects.get(username=targets.front_desk))
    if page == "intake":
        rng = random.Random(0)
        units, categories = targets.units_by_project[targets.project_id], targets.categories

        def request(n: int) -> None:
            form = intake_form(rng.choice(units), rng.choice(categories), rng, n)
            assert client.post(path, form).status_code == 302, page
    else:

        def request(n: int) -> None:
            assert client.get(path).status_code == 200, page

    for n in range(WARMUP):
        request(n)
    control = ["callgrind_control", "--instr={}", str(os.getpid())]
    subprocess.run([c.format("on") for c in control], check=True, capture_output=True)
    for n in range(WARMUP, WARMUP + COUNTED):
        request(n)
    subprocess.run([c.format("off") for c in control], check=True, capture_output=True)


def count(page: str, workdir: str) -> float:
    """Millions of instructions per request of ``page``."""
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={workdir}/{page}.out",
            sys.executable,
            "-m",
            "bench.page_instructions",
            "--page",
            page,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Collected : (\d+)", out.stderr)
    if not match:
        raise SystemExit(f"no instruction count for {page}:\n{out.stderr[-2000:]}")
    return int(match.group(1)) / COUNTED / 1e6


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.page_instructions", description=__doc__.split("\n")[0])
    parser.add_argument("--page", help=argparse.SUPPRESS)
    parser.add_argument("pages", nargs="*", default=PAGES, help=f"pages to count (default: {' '.join(PAGES)})")
    args = parser.parse_args(argv)
    if args.page:
        measure(args.page)
        return
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is missing (Debian: apt-get install valgrind)")
    pages = ["trivial"] + [p for p in args.pages if p != "trivial"]
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as workdir:
        print(f"{'page':<22} {'M instructions':>15} {'× trivial':>10}")
        trivial = None
        for page in pages:
            mi = count(page, workdir)
            trivial = trivial or mi
            print(f"{page:<22} {mi:>15.1f} {mi / trivial:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
