"""The scale benchmark of issue #10: seed a developer's ten years, then measure every hot path.

    make bench                        # 1,000,000 tickets (about 10 minutes of seeding, then the measurements)
    make bench BENCH_TICKETS=20000    # a quick run

or directly ``python -m bench.scale --tickets 1000000`` with ``DJANGO_SETTINGS_MODULE=bench.settings``.

- :mod:`bench.scale.dataset` drops and re-creates the throw-away database (its name must contain
  "bench"), migrates it and seeds 20 projects with units, owners, staff, contractors and N tickets
  over ten years, with their history, timeline, SLA clocks and alerts, callbacks, contacts,
  appointments, dispatch notices, work logs, sign-offs and escalations (COPY and INSERT … SELECT).
- :mod:`bench.scale.jobs` is the one place that calls the SLA sweep, the daily report and the
  dashboard.
- :mod:`bench.scale.inprocess` measures query counts (django.test.Client) and the jobs' times.
- :mod:`bench.scale.load` serves the bench settings with gunicorn on loopback and drives it with
  wrk: intake submissions, the front-desk queues, the ticket page, the owner lookup and the
  trivial page every page is compared with.
- :mod:`bench.scale.worker` runs a real Celery worker through the sweep and the daily reports and
  reads its peak memory.
- :mod:`bench.scale.__main__` runs it all and prints one table.
"""
