"""Load: gunicorn (the bench settings) on loopback, driven by wrk, one bounded run per page.

Logins go over HTTP like a browser's (GET the form for the CSRF cookie, POST the password), and the
session and CSRF cookies are replayed by wrk (bench/scale/wrk/requests.lua). Each run is preceded by
a short warm-up that is not counted. After the runs, the peak resident memory (VmHWM) of every
gunicorn worker is read from /proc.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .targets import PAGES, PASSWORD, Targets, encode, intake_form, lookup_form, path

ROOT = Path(__file__).resolve().parents[2]
LUA = Path(__file__).resolve().parent / "wrk" / "requests.lua"
LOGS = ROOT / "var" / "bench"
FORM = "application/x-www-form-urlencoded"


@dataclass
class LoadResult:
    key: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    ok: int
    bad: int
    bad_statuses: str
    socket_errors: int

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        subprocess.run([str(ROOT / "bench" / "ensure-wrk")], check=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing (Debian: apt-get install wrk)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with ``workers`` sync workers, started and stopped by the bench (by its pid only)."""

    def __init__(self, workers: int, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = open(LOGS / "gunicorn.log", "w")  # noqa: SIM115 (open while the server runs)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--backlog",
                "2048",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/login/", timeout=5).read()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.process.poll() is not None:
                    raise SystemExit(f"gunicorn exited: see {self.log.name}") from None
                time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer: see {self.log.name}")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def memory(pid: int) -> dict[str, int]:
    """VmHWM (peak resident) and VmRSS of a process, in kB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                name, value = line.split(":", 1)
                out[name] = int(value.split()[0])
    except OSError:
        pass
    return out


def login(url: str, username: str | None) -> dict[str, str]:
    """Session and CSRF cookies of ``username`` (None: an anonymous visitor with a CSRF cookie)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/login/", timeout=30).read().decode()
    if username:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
        opener.open(urllib.request.Request(url + "/login/", data=body.encode(), headers={"Referer": url + "/login/"}))
        cookies = {c.name: c.value for c in jar}
        if "sessionid" not in cookies:
            raise SystemExit(f"could not log in as {username}")
    return {c.name: c.value for c in jar}


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def request_lines(key: str, targets: Targets, sessions: dict[str, dict], rng: random.Random) -> list[str]:
    """The requests of one page for wrk: method, path, cookie, content type, body (tab-separated)."""
    lines = []
    if key in ("trivial", "ticket"):
        cookies = cookie_header(sessions[targets.front_desk])
        for number in targets.sample_tickets:
            lines.append(f"GET\t{path(key, targets, number)}\t{cookies}\t\t")
    elif key.startswith("queue:"):
        cookies = cookie_header(sessions[targets.front_desk])
        lines.append(f"GET\t{path(key, targets)}\t{cookies}\t\t")
    elif key == "lookup":
        anonymous = sessions[""]
        for number, digits in targets.sample_lookups:
            body = encode({**lookup_form(number, digits), "csrfmiddlewaretoken": anonymous["csrftoken"]})
            lines.append(f"POST\t{path(key, targets)}\t{cookie_header(anonymous)}\t{FORM}\t{body}")
    elif key == "intake":
        # Front desks of every project take calls at once (numbers are sequenced per project and day).
        for n in range(4000):
            project = rng.choice(sorted(targets.front_desks))
            cookies = sessions[targets.front_desks[project]]
            unit = rng.choice(targets.units_by_project[project])
            form = intake_form(unit, rng.choice(targets.categories), rng, n)
            body = encode({**form, "csrfmiddlewaretoken": cookies["csrftoken"]})
            lines.append(f"POST\t{path(key, targets)}\t{cookie_header(cookies)}\t{FORM}\t{body}")
    rng.shuffle(lines)
    return lines


def ceiling_p50(results: dict[str, LoadResult], key: str) -> float | None:
    """The trivial page's p50 around the page ``key``: the mean of its runs just before and just after it
    (the run before the next page, or the one after the last page).

    The machine's speed drifts within a run (the trivial page alone served 315 to 709 requests/s in one
    run of the fifteenth), and a ceiling measured on one side only counts that drift for or against the
    page by chance; measured on both sides it is an estimate of the speed while the page ran.
    """
    if key == "trivial":
        return results["trivial"].p50_ms if "trivial" in results else None
    keys = [page.key for page in PAGES]
    i = keys.index(key)
    before = results.get(f"trivial:{key}") or results.get("trivial")
    after = results.get(f"trivial:{keys[i + 1]}") if i + 1 < len(keys) else results.get("trivial:end")
    around = [r.p50_ms for r in (before, after) if r is not None]
    return sum(around) / len(around) if around else None


def run_wrk(wrk: str, url: str, lines: list[str], expect, *, seconds: int, threads: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", prefix="bench-wrk-", suffix=".tsv", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                str(LUA),
                url,
                "--",
                f.name,
                ",".join(str(s) for s in expect),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    match = re.search(r"^WRKJSON (.*)$", out, re.MULTILINE)
    if not match:
        raise SystemExit(f"wrk printed no result:\n{out}")
    return json.loads(match.group(1))


def run(
    targets: Targets,
    *,
    workers: int,
    connections: int,
    threads: int,
    seconds: int,
    warmup: int,
    env: dict,
    log=print,
) -> tuple[dict[str, LoadResult], dict]:
    """Serve, log in, run every page; returns the results and the web workers' memory."""
    wrk = ensure_wrk()
    server = Server(workers, env)
    results = {}
    try:
        sessions = {"": login(server.url, None), targets.front_desk: login(server.url, targets.front_desk)}
        for username in targets.front_desks.values():
            if username not in sessions:
                sessions[username] = login(server.url, username)
        rng = random.Random(5)

        def measure(key: str, label: str, lines: list[str], expect, seconds: int) -> LoadResult:
            if warmup:
                run_wrk(wrk, server.url, lines, expect, seconds=warmup, threads=threads, connections=connections)
            raw = run_wrk(wrk, server.url, lines, expect, seconds=seconds, threads=threads, connections=connections)
            result = LoadResult(
                key=key,
                requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6,
                p50_ms=raw["p50_us"] / 1000,
                p95_ms=raw["p95_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                ok=raw["ok"],
                bad=raw["bad"],
                bad_statuses=raw["bad_statuses"].strip(),
                socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
            )
            log(
                f"  {label:<36} {result.throughput:7.1f}/s  p50 {result.p50_ms:7.1f} ms  "
                f"p95 {result.p95_ms:7.1f} ms  ({result.ok} ok, {result.bad} other"
                f"{': ' + result.bad_statuses if result.bad else ''}, {result.socket_errors} socket errors)"
            )
            return result

        trivial = next(p for p in PAGES if p.key == "trivial")
        trivial_lines = request_lines(trivial.key, targets, sessions, rng)
        for page in PAGES:
            lines = trivial_lines if page is trivial else request_lines(page.key, targets, sessions, rng)
            if page is not trivial:
                # The ceiling again just before the page: this machine's speed drifts within a run (the
                # trivial page alone served 365 to 571 requests/s in one session's runs), so each page is
                # compared with the trivial page measured on both sides of it (see ceiling_p50).
                results[f"trivial:{page.key}"] = measure(
                    f"trivial:{page.key}",
                    f"  (trivial, before {page.key})",
                    trivial_lines,
                    trivial.expect,
                    max(3, seconds // 2),
                )
            results[page.key] = measure(page.key, page.label, lines, page.expect, seconds)
        # The ceiling after the last page too (each page is compared with the runs on both sides of it).
        results["trivial:end"] = measure(
            "trivial:end", "  (trivial, after the last page)", trivial_lines, trivial.expect, max(3, seconds // 2)
        )
        mem = {pid: memory(pid) for pid in server.worker_pids()}
        mem["master"] = memory(server.process.pid)
    finally:
        server.stop()
    return results, mem
