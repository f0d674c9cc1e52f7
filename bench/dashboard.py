"""How fast the supervisor's caseload dashboard answers at scale. Run by hand, not in the suite.

    .venv/bin/python bench/dashboard.py [--db /tmp/bench.db] [--keep] [--requests 30]
    .venv/bin/python bench/dashboard.py --only postgresql --keep
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mine .venv/bin/python bench/dashboard.py

Seeds the scaled demo practice (``seed_demo(scale=50, sessions_per_case=40)``: 300 counsellors,
2,000 cases, about 80,000 sessions and 640,000 moments) on SQLite and on PostgreSQL, or reuses an
already seeded database: ``--db PATH`` for SQLite (kept), ``DATABASE_URL`` for PostgreSQL (kept);
otherwise SQLite goes to a temporary file and PostgreSQL to a database ``practice_bench`` on
``--postgres`` (default postgresql://postgres@127.0.0.1:5432), dropped afterwards unless
``--keep`` (a kept ``practice_bench`` is reused by the next run).

The demo gives each supervisor five to seven counsellors, so the benchmark moves counsellors from
other supervisors to ``supervisor@example.com`` until it supervises ``--supervisees`` (10) of
them, in the benchmark's database only, and reports how many it has.

It then signs that supervisor in through the real login form and times, warm, ``--requests``
GETs of ``/supervision`` and of a trivial route of the same app (``/healthz`` if it exists, else
``/login``), server-side: host-level hooks around the whole request (policy, view, audit row,
commit, template), and of ``/login`` (a rendered page) as a second yardstick. It prints the
median of each, the ratios and the SQL statements per dashboard request; the target is a median
of at most 150 ms. The last line holds ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g, request

from practice.core import migrate
from practice.core.database import db
from practice.core.unit_of_work import unit_of_work
from practice.demo import seed as demo
from practice.models import Case, CaseStatus, Role, StaffMember, TherapySession
from practice.standalone import create_app

TARGET_MS = 150
SUPERVISOR = "supervisor@example.com"
BENCH_DATABASE = "practice_bench"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def psycopg_url(url: str) -> sa.URL:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return sa.make_url(url)


@contextmanager
def sqlite_database(path: str | None) -> Iterator[str]:
    """The SQLite file at ``path`` (kept), or a temporary one."""
    if path:
        yield f"sqlite:///{Path(path).resolve()}"
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_database(server: str, keep: bool) -> Iterator[str]:
    """``DATABASE_URL`` as it is (kept), or ``practice_bench`` on ``server``."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgresql://", "postgres://")):
        yield psycopg_url(os.environ["DATABASE_URL"]).render_as_string(hide_password=False)
        return
    server_url = psycopg_url(server)
    admin = sa.create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": BENCH_DATABASE}
        ).scalar()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{BENCH_DATABASE}"')
    try:
        yield server_url.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'
                )
        admin.dispose()


def prepare(app: Flask, scale: float, sessions_per_case: int, supervisees: int) -> dict:
    """Migrate, seed unless seeded, give the supervisor ``supervisees``; return the sizes."""
    with app.app_context():
        migrate.upgrade()
        if not demo.has_staff():
            print(f"  seeding the demo at scale {scale:g}, {sessions_per_case} sessions per case…")
            started = time.perf_counter()
            with unit_of_work():
                demo.seed_demo(scale=scale, sessions_per_case=sessions_per_case)
            if db.get_bind().dialect.name == "postgresql":
                # What autovacuum does soon after a bulk load; planning on empty statistics
                # would measure the seed, not the dashboard.
                with unit_of_work():
                    db.connection().exec_driver_sql("ANALYZE")
            print(f"  seeded in {time.perf_counter() - started:.0f} s")
        else:
            print("  reusing the seeded practice")
        with unit_of_work():
            supervisor = db.scalar(select_staff(SUPERVISOR))
            if supervisor is None:
                sys.exit(f"No {SUPERVISOR} in this database: not the demo practice?")
            mine = db.scalars(
                sa.select(StaffMember.id).where(StaffMember.supervisor_id == supervisor.id)
            ).all()
            if len(mine) < supervisees:
                # Counsellors of other supervisors, the highest numbered first (never the base
                # six).
                others = db.scalars(
                    sa.select(StaffMember.id)
                    .where(
                        StaffMember.role == Role.COUNSELLOR,
                        StaffMember.supervisor_id.is_not(None),
                        StaffMember.supervisor_id != supervisor.id,
                    )
                    .order_by(StaffMember.id.desc())
                    .limit(supervisees - len(mine))
                ).all()
                db.execute(
                    sa.update(StaffMember)
                    .where(StaffMember.id.in_(others))
                    .values(supervisor_id=supervisor.id)
                )
            scope = sa.select(StaffMember.id).where(StaffMember.supervisor_id == supervisor.id)
            in_scope = sa.or_(Case.counsellor_id == supervisor.id, Case.counsellor_id.in_(scope))
            return {
                "supervisees": db.scalar(sa.select(sa.func.count()).select_from(scope.subquery())),
                "active_cases": db.scalar(
                    sa.select(sa.func.count(Case.id)).where(
                        in_scope, Case.status == CaseStatus.ACTIVE
                    )
                ),
                "practice_cases": db.scalar(sa.select(sa.func.count(Case.id))),
                "practice_sessions": db.scalar(sa.select(sa.func.count(TherapySession.id))),
            }


def select_staff(email: str):
    return sa.select(StaffMember).where(StaffMember.email == email)


def measure(app: Flask, requests: int) -> dict[str, float]:
    """Median server-side milliseconds of the dashboard and a trivial route, warm."""
    timings: dict[str, list[float]] = {}
    statements: list[int] = []
    counter = {"n": 0}

    @app.before_request
    def _start() -> None:
        g.bench_started = time.perf_counter()
        counter["n"] = 0

    @app.after_request
    def _stop(response):
        elapsed = (time.perf_counter() - g.bench_started) * 1000
        timings.setdefault(request.path, []).append(elapsed)
        if request.path == "/supervision":
            statements.append(counter["n"])
        return response

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine

    def _count(*_args) -> None:
        counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", _count)
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    trivial = "/healthz" if "/healthz" in rules else "/login"
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    login = client.post(
        "/login", data={"email": SUPERVISOR, "password": demo.DEMO_PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302, "login failed"
    for _ in range(3):  # warm: connections, caches, compiled statements, templates
        assert client.get("/supervision").status_code == 200
        client.get(trivial)
    timings.clear()
    statements.clear()
    for _ in range(requests):
        response = client.get("/supervision")
        assert response.status_code == 200, response.status_code
        client.get(trivial)
        client.get("/login")  # a rendered page, for a second yardstick
    sa.event.remove(engine, "before_cursor_execute", _count)
    with app.app_context():
        engine.dispose()
    dashboard = statistics.median(timings["/supervision"])
    base = statistics.median(timings[trivial])
    return {
        "median_ms": dashboard,
        "p90_ms": statistics.quantiles(timings["/supervision"], n=10)[-1],
        "trivial_ms": base,
        "ratio": dashboard / base,
        "statements": statistics.median(statements),
        "trivial_route": trivial,
        "login_ms": statistics.median(timings["/login"]),
        "login_ratio": dashboard / statistics.median(timings["/login"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite file to seed or reuse (kept)")
    parser.add_argument("--postgres", default=DEFAULT_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DATABASE} database")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--sessions-per-case", type=int, default=40)
    parser.add_argument("--supervisees", type=int, default=10)
    args = parser.parse_args()

    pairs: dict[str, object] = {"target_ms": TARGET_MS, "requests": args.requests}
    backends = [b for b in ("sqlite", "postgresql") if args.only in (None, b)]
    for backend in backends:
        print(f"{backend}:")
        database = (
            sqlite_database(args.db)
            if backend == "sqlite"
            else postgres_database(args.postgres, args.keep)
        )
        with database as url, tempfile.TemporaryDirectory() as instance:
            app = create_app(
                {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"}, instance_path=instance
            )
            size = prepare(app, args.scale, args.sessions_per_case, args.supervisees)
            figures = measure(app, args.requests)
        print(
            f"  practice: {size['practice_cases']:,} cases, {size['practice_sessions']:,} sessions;"
            f" {SUPERVISOR} supervises {size['supervisees']} counsellors"
            f" ({size['active_cases']} active cases in scope)"
        )
        verdict = "meets" if figures["median_ms"] <= TARGET_MS else "MISSES"
        print(
            f"  GET /supervision: median {figures['median_ms']:.1f} ms, p90 "
            f"{figures['p90_ms']:.1f} ms, {figures['statements']:.0f} SQL statements "
            f"({verdict} the {TARGET_MS} ms target); GET {figures['trivial_route']}: median "
            f"{figures['trivial_ms']:.2f} ms; ratio {figures['ratio']:.1f}; GET /login (a rendered "
            f"page): median {figures['login_ms']:.2f} ms, ratio {figures['login_ratio']:.1f}"
        )
        pairs |= {
            f"{backend}_median_ms": round(figures["median_ms"], 1),
            f"{backend}_p90_ms": round(figures["p90_ms"], 1),
            f"{backend}_trivial_ms": round(figures["trivial_ms"], 2),
            f"{backend}_ratio": round(figures["ratio"], 1),
            f"{backend}_login_ms": round(figures["login_ms"], 2),
            f"{backend}_login_ratio": round(figures["login_ratio"], 1),
            f"{backend}_statements": int(figures["statements"]),
            f"{backend}_supervisees": size["supervisees"],
            f"{backend}_active_cases": size["active_cases"],
            f"{backend}_sessions": size["practice_sessions"],
        }
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))


if __name__ == "__main__":
    main()
