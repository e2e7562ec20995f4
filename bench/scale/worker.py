"""A real Celery worker (prefork, one child: the production command with one process) against the
bench's own Redis database: it runs the SLA sweep task and the daily-report task (every project's
F03 built, rendered as HTML, text and PDF, and mailed to the in-memory backend), committed as in
production. Its child's peak resident memory (VmHWM) is read from /proc afterwards."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.utils import timezone

from .load import LOGS, ROOT, children, memory


def _idle(app, broker, timeout: float) -> None:
    """Wait until the queue is empty and the worker runs nothing."""
    import redis

    r = redis.Redis.from_url(broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if r.llen("celery") == 0:
            active = app.control.inspect(timeout=1.0).active() or {}
            if active and not any(active.values()):
                return
        time.sleep(0.5)
    raise SystemExit("the Celery worker did not become idle")


def run(env: dict, *, timeout: float = 1800, log=print) -> dict:
    """Start the worker, run the sweep then the daily reports, return times and memory."""
    from config.celery_app import app
    from tickets.models import DailyReport, SlaClock
    from warranty.models import Project

    broker = settings.CELERY_BROKER_URL
    with app.connection_for_write() as conn:  # nothing left over from an earlier run
        conn.default_channel.queue_purge("celery")
    LOGS.mkdir(parents=True, exist_ok=True)
    out = open(LOGS / "celery.log", "w")  # noqa: SIM115 (open while the worker runs)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "bench-scale@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    result = {"log": out.name}
    try:
        _idle(app, broker, 120)
        now = timezone.now()
        pending = SlaClock.objects.filter(stopped_at__isnull=True)
        t0 = time.perf_counter()
        app.send_task("tickets.tasks.sweep_sla_clocks")
        deadline = time.monotonic() + timeout
        while (
            pending.filter(breached_at__isnull=True, due_at__lte=now).exists()
            or pending.filter(warned_at__isnull=True, warn_at__lte=now).exists()
        ):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the worker's sweep did not finish: see {out.name}")
            time.sleep(0.05)
        result["sweep"] = time.perf_counter() - t0
        _idle(app, broker, timeout)  # the sweep's notifications go out (deliver_outbox) before the reports
        result["sweep_and_mail"] = time.perf_counter() - t0
        log(f"  worker: sweep {result['sweep']:.2f} s; with its notifications sent {result['sweep_and_mail']:.1f} s")

        day = timezone.localdate()
        projects = Project.objects.count()
        # A rerun on the same data (--skip-seed) would find the day's reports sent and measure nothing:
        # they are built and sent again, as in the first run (the bench database only).
        DailyReport.objects.filter(day=day).delete()
        t0 = time.perf_counter()
        app.send_task("tickets.tasks.send_daily_reports", kwargs={"day": day.isoformat()})
        while DailyReport.objects.filter(day=day, sent_at__isnull=False).count() < projects:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the worker's daily reports did not finish: see {out.name}")
            time.sleep(0.2)
        result["daily_reports"] = time.perf_counter() - t0
        result["projects"] = projects
        log(f"  worker: {projects} daily reports (build, HTML, PDF, mail) {result['daily_reports']:.1f} s")
        _idle(app, broker, timeout)
        result["memory"] = {pid: memory(pid) for pid in children(process.pid)}
        result["memory"]["main"] = memory(process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        out.close()
    return result
