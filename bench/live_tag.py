"""How fast the server answers a live-mode tap. Run by hand, not part of the test suite.

    .venv/bin/python bench/live_tag.py [--taps 500]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/live_tag.py

Builds the standalone app on a temporary SQLite database (and, when ``DATABASE_URL`` names a
PostgreSQL server, on a fresh database created there and dropped afterwards), migrates it, signs
a counsellor in through the real login form, and posts ``--taps`` tags to
``/sessions/<id>/live/tags`` through the test client, each committed as in production.

Server-side latency is timed by host-level request hooks around the whole request (policy,
CSRF, view, commit); the client figure adds the test client's own overhead. The last line holds
``key=value`` pairs for scripts.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import g, request

from practice.accounts import operations as accounts
from practice.core import migrate
from practice.core.database import db
from practice.models import Case, MomentType, Partner, TherapySession
from practice.standalone import create_app

PASSWORD = "bench passphrase 2026"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@contextmanager
def sqlite_database(tmp: Path):
    yield f"sqlite:///{tmp / 'bench.db'}"


@contextmanager
def postgres_database(server_url: str):
    """A new database on the server of ``server_url``, dropped afterwards."""
    url = sa.make_url(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
            "postgres://", "postgresql+psycopg://", 1
        )
    )
    name = f"practice_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def arrange(app) -> tuple[int, list[int], list[int | None], str]:
    """A counsellor with a couple and a session that began ten minutes ago."""
    with app.app_context():
        migrate.upgrade()
        member = accounts.create_staff(
            email="bench@example.com", display_name="Bench", role="counsellor", password=PASSWORD
        )
        case = Case(reference="B-0001", counsellor=member, opened_on=date(2026, 1, 5))
        for position, name in enumerate(("Alex", "Sam")):
            case.partners.append(Partner(display_name=name, position=position))
        session = TherapySession(
            case=case,
            starts_at=datetime.now(UTC) - timedelta(minutes=10),
            duration_minutes=50,
            created_by_id=member.id,
        )
        db.add(session)
        db.commit()
        types = list(
            db.scalars(select_active_type_ids()),
        )
        partners = [p.id for p in case.partners] + [None]
        return session.id, types, partners, member.email


def select_active_type_ids():
    return sa.select(MomentType.id).where(MomentType.active.is_(True)).order_by(MomentType.id)


def run(database_url: str, taps: int, instance: Path) -> dict[str, float]:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"},
        instance_path=str(instance),
    )
    timings: list[float] = []

    @app.before_request
    def _start() -> None:
        g.bench_started = time.perf_counter()

    @app.after_request
    def _stop(response):
        if request.endpoint == "practice.live.tag":
            timings.append((time.perf_counter() - g.bench_started) * 1000)
        return response

    session_id, types, partners, email = arrange(app)
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    login = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 302, "login failed"
    token = _CSRF.search(client.get("/").get_data(as_text=True)).group(1)

    round_trips: list[float] = []
    for n in range(taps):
        payload = {"moment_type_id": types[n % len(types)], "partner_id": partners[n % 3]}
        started = time.perf_counter()
        response = client.post(
            f"/sessions/{session_id}/live/tags", json=payload, headers={"X-CSRFToken": token}
        )
        round_trips.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.get_data(as_text=True)
    tally = response.get_json()["tally"]
    assert tally["escalating"] + tally["deescalating"] + tally["neutral"] == taps
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    return {
        "median_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 95),
        "max_ms": max(timings),
        "client_median_ms": statistics.median(round_trips),
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=500)
    args = parser.parse_args()
    backends = [("sqlite", None)]
    if os.environ.get("DATABASE_URL", "").startswith(("postgresql://", "postgres://")):
        backends.append(("postgresql", os.environ["DATABASE_URL"]))
    pairs = {"taps": args.taps}
    for name, server in backends:
        with tempfile.TemporaryDirectory() as tmp:
            database = sqlite_database(Path(tmp)) if server is None else postgres_database(server)
            with database as url:
                figures = run(url, args.taps, Path(tmp) / "instance")
        print(
            f"{name:>10}: {args.taps} taps, server median {figures['median_ms']:.2f} ms, "
            f"p95 {figures['p95_ms']:.2f} ms, max {figures['max_ms']:.2f} ms "
            f"(test-client round trip median {figures['client_median_ms']:.2f} ms)"
        )
        for key, value in figures.items():
            pairs[f"{name}_{key}"] = round(value, 2)
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))


if __name__ == "__main__":
    main()
