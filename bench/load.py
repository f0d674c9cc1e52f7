"""Load test of the production setup (run by hand: ``.venv/bin/python bench/load.py``).

Creates a PostgreSQL database ``practice_load`` (dropped at the end unless ``--keep``), migrates
it and seeds the demo practice with 50 counsellors, starts gunicorn with gunicorn.conf.py (workers
from the CPU count) on a loopback port, then runs ``--users`` simulated counsellors (threads, each
with its own ``http.client`` connection and cookies) for ``--seconds``. Each one signs in, then
works session after session: opens their case list and a case, records a session, opens the live
screen and tags moments through the live JSON route, saves the note through the autosave JSON
route, and signs it with their password; now and then they ask for a PDF progress report
instead. Reports go through the Redis queue (``--redis``; a report worker is started beside
gunicorn, at a lower CPU priority), as in production: the user polls the job and downloads the
PDF; ``--no-queue`` leaves Redis out, and the web processes' own queue threads render them.
``--supervisors`` more users open the supervision dashboard and a case. Every user pauses
between requests (uniform, 0.5 to 1.5 times ``--think`` seconds), as a person would.

It prints throughput, latency percentiles of the non-PDF requests (targets: p95 <= 300 ms),
the PDF requests apart, errors (target: 0), and how busy the machine's CPUs were meanwhile
(``machine_busy_cores``, whatever else runs included) against gunicorn's own share; and, for the
same requests, the time gunicorn itself measured (``server_p95_ms``), which leaves out the wait
for a free worker or CPU. Then it
checks in the database that every write the server acknowledged is there: each tagged moment,
each autosaved note text (the latest acknowledged version), each signature, each session and
each report. The last line holds ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from load_users import (  # bench/ is on the path when this file is run
    Acks,
    Recorder,
    counsellor_email,
    percentile,
    run_group,
)

from practice.demo.seed import COUNSELLORS_PER_SCALE

REPO = Path(__file__).resolve().parent.parent
DEMO_SCALE = 50 / COUNSELLORS_PER_SCALE  # 50 counsellors
SESSIONS_PER_CASE = 8

# --- Set-up, server, verification -----------------------------------------------------------


def run_flask(env: dict, *command: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "practice", *command],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    """The report worker, at a lower CPU priority than the web workers, as the README advises
    when both share a machine: a PDF then waits for spare CPU instead of taking it from a
    person's click."""
    log = log_path.open("w")
    return subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "-m", "flask", "--app", "wsgi", "practice", "worker"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def start_gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=REPO,
        env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_path}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn did not become ready; see {log_path}")


ACCESS_LINE = re.compile(r'" \d{3} \S+ (\d+)ms rid=(\S+)')


def server_times(log_text: str) -> dict[str, float]:
    """Request id -> milliseconds, from gunicorn's access log (gunicorn.conf.py's format)."""
    return {m.group(2): float(m.group(1)) for m in ACCESS_LINE.finditer(log_text)}


def busy_ticks() -> int:
    """CPU ticks spent by the whole machine so far (all cores, idle and iowait excluded)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]


def tree_ticks(pid: int) -> int:
    """CPU ticks of ``pid`` and its children (gunicorn's master and workers)."""
    total = 0
    for member in [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]:
        try:
            stat = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(stat[11]) + int(stat[12])
    return total


def count_workers(pid: int) -> int:
    """gunicorn's workers once all have forked (they start one after another)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    seen, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 1.0:
        count = len(children.read_text().split())
        if count != seen:
            seen, stable_since = count, time.monotonic()
        time.sleep(0.1)
    return seen


def active_cases_of_counsellors(url: str) -> dict[str, list[int]]:
    """Each counsellor's active cases, from the seeded database."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT s.email, c.id FROM practice_case c JOIN practice_staff s "
                "ON s.id = c.counsellor_id WHERE c.status = 'active'"
            )
        ).all()
    engine.dispose()
    cases: dict[str, list[int]] = defaultdict(list)
    for email, case_id in rows:
        cases[email].append(case_id)
    return cases


def verify(url: str, acks: Acks, started: datetime) -> dict[str, int]:
    """Count in the database what the server acknowledged."""
    engine = sa.create_engine(url)
    found: dict[str, int] = {}
    with engine.connect() as connection:
        moment_ids = list(acks.moments)
        found["moments"] = connection.execute(
            sa.text(
                "SELECT count(*) FROM practice_moment WHERE id = ANY(:ids) AND voided_at IS NULL"
            ),
            {"ids": moment_ids},
        ).scalar_one()
        rows = connection.execute(
            sa.text("SELECT id, note_data, status FROM practice_session WHERE id = ANY(:ids)"),
            {"ids": list(acks.sessions)},
        ).all()
        by_id = {row.id: row for row in rows}
        found["sessions"] = len(by_id)
        found["notes"] = sum(
            1 for sid, (_v, text) in acks.notes.items() if sid in by_id and by_id[sid][1] == text
        )
        found["signed"] = sum(
            1 for sid in acks.signed if sid in by_id and by_id[sid][2] == "signed"
        )
        found["reports"] = connection.execute(
            sa.text("SELECT count(*) FROM practice_report WHERE generated_at >= :t"),
            {"t": started.replace(tzinfo=None)},
        ).scalar_one()
    engine.dispose()
    return found


def _flush_redis(url: str) -> None:
    from redis import Redis

    Redis.from_url(url, socket_connect_timeout=3).flushdb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--users", type=int, default=50, help="simulated counsellors (<= 50)")
    parser.add_argument("--supervisors", type=int, default=2)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between requests")
    parser.add_argument("--report-share", type=float, default=0.05, help="share of PDF rounds")
    parser.add_argument(
        "--warmup",
        type=float,
        default=10,
        help="first seconds left out of the latency figures (each worker's first requests "
        "compile templates); errors and writes count from the start",
    )
    parser.add_argument("--processes", type=int, default=5, help="client processes")
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers [default: gunicorn.conf.py's, from the CPUs]"
    )
    parser.add_argument("--port", type=int, default=5119)
    parser.add_argument(
        "--server",
        default=os.environ.get("LOAD_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432/"),
        help="PostgreSQL server URL (the load database is created on it)",
    )
    parser.add_argument("--database", default="practice_load")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--redis",
        default=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="Redis for the report queue (this database is flushed before and after)",
    )
    parser.add_argument(
        "--no-queue", action="store_true", help="no Redis: web processes' queue threads render PDFs"
    )
    args = parser.parse_args()
    if not 1 <= args.users <= 50:
        parser.error("--users must be between 1 and 50 (the seeded counsellors)")

    server = sa.make_url(args.server.replace("postgresql://", "postgresql+psycopg://", 1))
    url = server.set(database=args.database).render_as_string(hide_password=False)
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{args.database}"')
    instance = Path(tempfile.mkdtemp(prefix="practice-load-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "PRACTICE_INSTANCE_PATH": str(instance),
    }
    for key in ("PRACTICE_ENV", "REDIS_URL", "WEB_CONCURRENCY", "PRACTICE_LOG_JSON"):
        env.pop(key, None)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if not args.no_queue:
        env["REDIS_URL"] = args.redis
        _flush_redis(args.redis)
    gunicorn = worker = None
    try:
        print(f"Seeding {args.database} (50 counsellors, {SESSIONS_PER_CASE} sessions a case)…")
        run_flask(env, "upgrade-db")
        run_flask(
            env, "seed-demo", "--scale", f"{DEMO_SCALE:.4f}", "--sessions-per-case",
            str(SESSIONS_PER_CASE),
        )  # fmt: skip
        active_cases = active_cases_of_counsellors(url)
        missing = [n for n in range(1, args.users + 1) if not active_cases[counsellor_email(n)]]
        if missing:
            raise SystemExit(f"counsellors without an active case: {missing}")
        if not args.no_queue:
            worker = start_worker(env, instance / "worker.log")
        gunicorn = start_gunicorn(env, args.port, instance / "gunicorn.log")
        workers = count_workers(gunicorn.pid)
        print(
            f"gunicorn: {workers} workers on 127.0.0.1:{args.port}; {args.users} counsellors and "
            f"{args.supervisors} supervisors for {args.seconds:.0f} s, think {args.think} s."
        )
        started_at = datetime.now(UTC)
        # Users run in several processes, so that the client's own GIL does not add to the
        # latencies it measures.
        processes = max(1, min(args.processes, args.users))
        groups = [
            (
                list(range(1 + p, args.users + 1, processes)),
                list(range(1 + p, args.supervisors + 1, processes)),
                args,
                active_cases,
            )
            for p in range(processes)
        ]
        begin = time.perf_counter()
        machine_before, server_before = busy_ticks(), tree_ticks(gunicorn.pid)
        deadline = begin + args.seconds
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            results = pool.starmap(run_group, [(*group, deadline) for group in groups])
        recorder = Recorder()
        for samples, errors, acks in results:
            recorder.samples += samples
            recorder.errors += errors
            recorder.acks.moments |= acks.moments
            recorder.acks.notes.update(acks.notes)
            recorder.acks.sessions |= acks.sessions
            recorder.acks.signed |= acks.signed
            recorder.acks.reports += acks.reports
        elapsed = time.perf_counter() - begin
        hz = os.sysconf("SC_CLK_TCK")
        machine_cores = (busy_ticks() - machine_before) / hz / elapsed
        server_cores = (tree_ticks(gunicorn.pid) - server_before) / hz / elapsed
    finally:
        for process in (gunicorn, worker):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        if not args.no_queue:
            _flush_redis(args.redis)

    log_text = (instance / "gunicorn.log").read_text(errors="replace")
    if args.keep:  # for a closer look: each request's id and time, to match gunicorn's log
        (instance / "samples.json").write_text(
            json.dumps(
                [[s.request_id, s.name, round(s.seconds * 1000, 1)] for s in recorder.samples]
            )
        )
        print(f"Kept {args.database} and {instance} (gunicorn.log, samples.json).")
    try:
        found = verify(url, recorder.acks, started_at)
    finally:
        if not args.keep:
            with admin.connect() as connection:
                connection.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'
                )
            shutil.rmtree(instance, ignore_errors=True)
        admin.dispose()

    samples = recorder.samples
    warm = [s for s in samples if s.at - begin >= args.warmup]
    normal = [s.seconds * 1000 for s in warm if not s.pdf]
    pdfs = [s.seconds * 1000 for s in warm if s.pdf]
    by_name: dict[str, list[float]] = defaultdict(list)
    for sample in warm:
        by_name[sample.name].append(sample.seconds * 1000)
    print(
        f"\nCPU: the machine kept {machine_cores:.2f} of {os.cpu_count()} cores busy, "
        f"gunicorn {server_cores:.2f}."
    )
    print(f"Latency after the first {args.warmup:.0f} s (warm-up):")
    print(f"{'request':28} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, values in sorted(by_name.items()):
        print(
            f"{name:28} {len(values):6d} {statistics.median(values):8.1f} "
            f"{percentile(values, 0.95):8.1f} {percentile(values, 0.99):8.1f}"
        )
    for error in recorder.errors[:10]:
        print(f"error: {error}")
    acks = recorder.acks
    expected = {
        "moments": len(acks.moments),
        "sessions": len(acks.sessions),
        "notes": len(acks.notes),
        "signed": len(acks.signed),
        "reports": acks.reports,
    }
    lost = sum(max(0, expected[k] - found[k]) for k in expected)
    for key in expected:
        print(f"acknowledged {key}: {expected[key]}, found in the database: {found[key]}")
    p95 = percentile(normal, 0.95)
    # The same requests as gunicorn timed them (from reading the request to the response sent):
    # the difference is time spent waiting for a free worker or for the CPU.
    server_ms = server_times(log_text)
    served = [server_ms[s.request_id] for s in warm if not s.pdf and s.request_id in server_ms]
    result = {
        "seconds": round(elapsed, 1),
        "users": args.users,
        "supervisors": args.supervisors,
        "think_s": args.think,
        "workers": workers,
        "cpus": os.cpu_count(),
        "machine_busy_cores": round(machine_cores, 2),
        "gunicorn_cores": round(server_cores, 2),
        "requests": len(samples),
        "rps": round(len(samples) / elapsed, 1),
        "warmup_s": args.warmup,
        "p50_ms": round(statistics.median(normal), 1) if normal else 0,
        "p95_ms": round(p95, 1),
        "p99_ms": round(percentile(normal, 0.99), 1),
        "server_p50_ms": round(statistics.median(served), 1) if served else 0,
        "server_p95_ms": round(percentile(served, 0.95), 1),
        "report_queue": "web threads" if args.no_queue else "redis",
        "pdf_requests": len(pdfs),
        "pdf_p50_ms": round(statistics.median(pdfs), 1) if pdfs else 0,
        "pdf_p95_ms": round(percentile(pdfs, 0.95), 1),
        "errors": len(recorder.errors),
        "moments_acked": expected["moments"],
        "notes_acked": expected["notes"],
        "signed_acked": expected["signed"],
        "reports_acked": expected["reports"],
        "lost": lost,
        "targets_met": "yes" if not recorder.errors and p95 <= 300 and not lost else "no",
    }
    print(" ".join(f"{key}={value}" for key, value in result.items()))
    return 0 if result["targets_met"] == "yes" else 1


if __name__ == "__main__":
    sys.exit(main())
