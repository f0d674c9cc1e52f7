"""How fast the case page and the supervisor's dashboard answer. Run by hand, not in the suite.

    .venv/bin/python bench/pages.py [--scales 1 20] [--requests 30] [--keep-dir /tmp/pages]

For each scale, seeds the demo practice (``seed_demo(scale=...)``) in a SQLite file (a
temporary one, or ``--keep-dir``/pages-<scale>.db, reused when it exists), signs in through the
real login form as ``counsellor@example.com`` and ``supervisor@example.com`` and times, warm,
``--requests`` GETs of the counsellor's case page with the longest history (and of its charts,
if the page loads them by a separate URL) and of ``/supervision``, server-side: host-level hooks
around the whole request (policy, view, audit row, commit, template). It prints the median and
p95 of each and the SQL statements per request; the target is at most 150 ms. The last line
holds ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g, request

from practice.core import migrate
from practice.core.database import db
from practice.core.unit_of_work import unit_of_work
from practice.demo import seed as demo
from practice.models import Case, CaseStatus, StaffMember, TherapySession
from practice.standalone import create_app

TARGET_MS = 150
COUNSELLOR = "counsellor@example.com"
SUPERVISOR = "supervisor@example.com"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
_CHART = re.compile(r'<img[^>]+src="(/cases/\d+/charts/[^"]+)"')


def prepare(app: Flask, scale: float) -> dict:
    """Migrate, seed unless seeded; return the sizes and the case to open."""
    with app.app_context():
        migrate.upgrade()
        if not demo.has_staff():
            print(f"  seeding the demo at scale {scale:g}…", flush=True)
            started = time.perf_counter()
            with unit_of_work():
                demo.seed_demo(scale=scale)
            print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
        with unit_of_work():
            counsellor = db.scalar(sa.select(StaffMember).where(StaffMember.email == COUNSELLOR))
            sessions = sa.func.count(TherapySession.id)
            case_id, history = db.execute(
                sa.select(Case.id, sessions)
                .join(TherapySession, TherapySession.case_id == Case.id)
                .where(Case.counsellor_id == counsellor.id)
                .group_by(Case.id)
                .order_by(sessions.desc(), Case.id)
                .limit(1)
            ).one()
            supervisor = db.scalar(sa.select(StaffMember).where(StaffMember.email == SUPERVISOR))
            scope = sa.select(StaffMember.id).where(StaffMember.supervisor_id == supervisor.id)
            caseload = db.scalar(
                sa.select(sa.func.count(Case.id)).where(
                    sa.or_(Case.counsellor_id == supervisor.id, Case.counsellor_id.in_(scope)),
                    Case.status == CaseStatus.ACTIVE,
                )
            )
            return {
                "caseload": caseload,
                "case_id": case_id,
                "case_sessions": history,
                "practice_cases": db.scalar(sa.select(sa.func.count(Case.id))),
                "practice_sessions": db.scalar(sa.select(sa.func.count(TherapySession.id))),
            }


def _signed_in(app: Flask, email: str):
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    login = client.post(
        "/login", data={"email": email, "password": demo.DEMO_PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302, f"login failed for {email}"
    return client


def measure(app: Flask, case_id: int, requests: int) -> dict[str, dict[str, float]]:
    """Median and p95 server-side milliseconds and statements per request, warm."""
    timings: dict[str, list[float]] = {}
    statements: dict[str, list[int]] = {}
    counter = {"n": 0}

    @app.before_request
    def _start() -> None:
        g.bench_started = time.perf_counter()
        counter["n"] = 0

    @app.after_request
    def _stop(response):
        timings.setdefault(request.path, []).append((time.perf_counter() - g.bench_started) * 1e3)
        statements.setdefault(request.path, []).append(counter["n"])
        return response

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine

    def _count(*_args) -> None:
        counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", _count)
    counsellor = _signed_in(app, COUNSELLOR)
    supervisor = _signed_in(app, SUPERVISOR)
    page = f"/cases/{case_id}"
    html = counsellor.get(page).get_data(as_text=True)
    charts = sorted(set(_CHART.findall(html)))
    paths = {"case page": (counsellor, page), "dashboard": (supervisor, "/supervision")}
    paths |= {f"chart {p.partition('?')[0].rsplit('/', 1)[-1]}": (counsellor, p) for p in charts}
    for _ in range(3):  # warm: connections, caches, compiled statements, templates
        for client, path in paths.values():
            assert client.get(path).status_code == 200, path
    timings.clear()
    statements.clear()
    for _ in range(requests):
        for client, path in paths.values():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
    sa.event.remove(engine, "before_cursor_execute", _count)
    with app.app_context():
        engine.dispose()
    figures = {}
    for name, (_client, path) in paths.items():
        route = path.partition("?")[0]
        values = timings[route]
        figures[name] = {
            "median_ms": statistics.median(values),
            "p95_ms": statistics.quantiles(values, n=20)[-1],
            "statements": statistics.median(statements[route]),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 20])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep-dir", help="directory for the seeded SQLite files (reused)")
    args = parser.parse_args()

    pairs: dict[str, object] = {"target_ms": TARGET_MS, "requests": args.requests}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep_dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for scale in args.scales:
            print(f"scale {scale:g}:", flush=True)
            url = f"sqlite:///{(folder / f'pages-{scale:g}.db').resolve()}"
            with tempfile.TemporaryDirectory() as instance:
                app = create_app(
                    {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"}, instance_path=instance
                )
                logging.getLogger("practice.request").setLevel(logging.WARNING)  # one per request
                size = prepare(app, scale)
                figures = measure(app, size["case_id"], args.requests)
            print(
                f"  practice: {size['practice_cases']:,} cases, {size['practice_sessions']:,} "
                f"sessions; case page of case {size['case_id']} ({size['case_sessions']} sessions);"
                f" {SUPERVISOR}'s dashboard: {size['caseload']} active cases"
            )
            key = f"s{scale:g}"
            for name, figure in figures.items():
                verdict = "meets" if figure["median_ms"] <= TARGET_MS else "MISSES"
                print(
                    f"  {name}: median {figure['median_ms']:.1f} ms, p95 {figure['p95_ms']:.1f} ms,"
                    f" {figure['statements']:.0f} SQL statements ({verdict} the {TARGET_MS} ms"
                    " target)"
                )
                slug = name.replace(" ", "_").replace(".", "_")
                pairs |= {
                    f"{key}_{slug}_median_ms": round(figure["median_ms"], 1),
                    f"{key}_{slug}_p95_ms": round(figure["p95_ms"], 1),
                    f"{key}_{slug}_statements": int(figure["statements"]),
                }
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))


if __name__ == "__main__":
    main()
