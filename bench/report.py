"""Benchmark of the progress reports (run by hand: ``.venv/bin/python bench/report.py``).

Builds a demo practice in a temporary SQLite database (``seed_demo`` with 60 sessions per case
on average), picks the case with the sessions nearest 60, and measures:

- ``report_s``: median warm time of one report (context, charts, HTML and PDF), and
  ``weasy_s`` the median of WeasyPrint alone on the same final HTML, same options; target
  ``ratio`` = report_s / weasy_s <= 1.3;
- ``per_page_ratio``: the report's time per page against a plain 100-row text table rendered in
  the same run; target <= 1.5;
- ``speedup``: batch throughput (reports per second, stored and recorded as the CLI does, the
  same case's referrer report each time) on 2 warmed worker processes against 1, median of
  interleaved rounds; target >= 1.8;
- ``peak_mb``: peak resident memory (ru_maxrss) of a fresh process that renders one report;
  target <= 250.

First, on the standard demo practice (``seed_demo()``), the figures of the "first render" of
issue 17, interleaved round by round so that other work on a shared machine slows them alike:

- ``first_s``: the default clinical report of C-0001 (its default period) rendered from nothing,
  as the app does (``render_report``: context, charts, HTML, tagged PDF), median of warm runs;
- ``table_s``: the 100-row reference table through WeasyPrint with the same settings (packaged
  assets only, the same font configuration, PDF/UA-1), called directly so that the yardstick
  does not move when the app's own rendering code changes;
- ``chromium_s``: if ``/usr/bin/chromium`` exists, headless Chromium printing the same report
  HTML (stylesheets inlined), warm (one browser, a tab per print, through Playwright; the
  ``--print-to-pdf`` command line, a process per print, without it), an outside yardstick only:
  the app never uses it;
- the ratios ``first_s / table_s`` and ``chromium_s / first_s``; the first two also in CPU time
  of this process, steadier than the clock on a machine shared with other work.

``--render-only`` stops there. The figures are printed, then ``key=value`` pairs on the last line
of each part.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from weasyprint import HTML

from practice.core import migrate
from practice.core.database import db
from practice.demo import seed as demo
from practice.models import Case, TherapySession
from practice.reporting import batch_processes, batches
from practice.reporting import operations as reports
from practice.reports.pdf import (
    PDF_OPTIONS,
    AssetFetcher,
    _font_config,
    asset_path,
    render_pdf,
)
from practice.reports.progress_report import build_report_html, report_context
from practice.standalone import create_app

TARGET_SESSIONS = 60
FIRST_RENDER_CASE = "C-0001"
CHROMIUM = Path("/usr/bin/chromium")
TODAY = demo.DEMO_TODAY
# The first render against the table on the morning of 2026-12-03, before the render work of
# issue 17 (README): wall-clock and CPU ratios. Issue 17's goal is 0.6 of them.
MORNING_FIRST_PER_TABLE = 2.19
MORNING_FIRST_PER_TABLE_CPU = 2.10
FIRST_RENDER_GOAL = 0.6

PEAK_SCRIPT = """
import resource, sys
from datetime import date
from sqlalchemy import select
from practice.standalone import create_app
from practice.core.database import db
from practice.models import Case
from practice.reporting import operations as reports
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "bench"},
                 instance_path=sys.argv[2])
with app.app_context():
    case = db.get(Case, int(sys.argv[3]))
    start, end = reports.default_period(case, date.fromisoformat(sys.argv[4]))
    rendered = reports.render_report(case, start, end, "clinical", "", case.counsellor)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rendered.page_count)
"""


def reference_html(rows: int = 100) -> str:
    """A plain document: a 100-row table of text, the yardstick for time per page."""
    body = "".join(
        f"<tr><td>{i}</td><td>Session {i} of the reference case</td>"
        f"<td>The couple described a difficult week and named the pattern together.</td>"
        f"<td>{i * 7 % 100} %</td></tr>"
        for i in range(1, rows + 1)
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Reference</title>"
        "<style>body{font-family:'DejaVu Sans';font-size:11pt} td{padding:6pt;"
        "border-bottom:0.5pt solid #999} thead{display:table-header-group}</style></head><body>"
        "<h1>Reference table</h1><table><thead><tr><th>#</th><th>Session</th><th>Note</th>"
        f"<th>Share</th></tr></thead><tbody>{body}</tbody></table></body></html>"
    )


def inline_stylesheets(html: str) -> str:
    """The report's HTML with its packaged stylesheets inlined, for a browser that cannot load
    ``practice-asset:`` URLs; charts are data URIs already."""

    def inline(match: re.Match) -> str:
        return f"<style>{asset_path(match.group(1)).read_text()}</style>"

    return re.sub(r'<link rel="stylesheet" href="practice-asset:///([^"]+)">', inline, html)


class ChromiumPrinter:
    """Headless Chromium printing an HTML file to PDF, kept warm between prints (one browser,
    a fresh tab per print, through Playwright, a development dependency); the command line
    ``chromium --headless --print-to-pdf`` (a fresh process each time) if Playwright is absent."""

    def __init__(self) -> None:
        self.mode = "command line, a fresh process per print"
        self._playwright = self._browser = None
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            return
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        self.mode = "warm browser, a fresh tab per print"

    def print(self, html_file: Path, pdf_file: Path) -> None:
        if self._browser is None:
            subprocess.run(
                [
                    str(CHROMIUM),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf_file}",
                    html_file.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        else:
            page = self._browser.new_page()
            page.goto(html_file.as_uri())
            page.pdf(path=str(pdf_file), prefer_css_page_size=True)
            page.close()
        if not pdf_file.stat().st_size:
            raise SystemExit("chromium printed nothing")

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()


def first_render_figures(repeat: int) -> None:
    """Issue 17's first-render figures on the standard demo: report, table, Chromium, ratios."""
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/first.db", "SECRET_KEY": "bench"},
            instance_path=tmp,
        )
        with app.app_context():
            migrate.upgrade()
            demo.seed_demo()
            db.commit()
            case_id = db.scalar(select(Case.id).where(Case.reference == FIRST_RENDER_CASE))

            def first_render():
                case = db.get(Case, case_id)
                start, end = reports.default_period(case, TODAY)
                rendered = reports.render_report(case, start, end, "clinical", "", case.counsellor)
                db.rollback()
                return rendered

            case = db.get(Case, case_id)
            start, end = reports.default_period(case, TODAY)
            html = build_report_html(
                report_context(case, start, end, "clinical", "", case.counsellor)
            )
            db.rollback()
            reference = reference_html()
            html_file = Path(tmp) / "report.html"
            html_file.write_text(inline_stylesheets(html))
            pdf_file = Path(tmp) / "chromium.pdf"

            def table():
                # WeasyPrint itself with the app's settings, not ``render_pdf``: the yardstick
                # stays put when the app's rendering around WeasyPrint gets faster.
                document = HTML(string=reference, url_fetcher=AssetFetcher()).render(
                    font_config=_font_config(), **PDF_OPTIONS
                )
                document.write_pdf(**PDF_OPTIONS)
                return document

            runs = {"first": first_render, "table": table}
            printer = ChromiumPrinter() if shutil.which(str(CHROMIUM)) else None
            if printer is not None:
                runs["chromium"] = lambda: printer.print(html_file, pdf_file)
            try:
                results = {name: run() for name, run in runs.items()}  # warm-up, and outputs
                times: dict[str, list[float]] = {name: [] for name in runs}
                cpu: dict[str, list[float]] = {name: [] for name in runs}
                for _ in range(repeat):
                    for name, run in runs.items():
                        started, started_cpu = time.perf_counter(), time.process_time()
                        run()
                        times[name].append(time.perf_counter() - started)
                        cpu[name].append(time.process_time() - started_cpu)
            finally:
                if printer is not None:
                    printer.close()
    median = {name: statistics.median(values) for name, values in times.items()}
    # CPU time of this process: far steadier than the clock when other work shares the cores
    # (Chromium's own processes are not in it, so it has no CPU figure).
    median_cpu = {name: statistics.median(cpu[name]) for name in ("first", "table")}
    pages = results["first"].page_count
    table_pages = len(results["table"].pages)
    print(
        f"{FIRST_RENDER_CASE}, clinical, {start} to {end}: {pages} pages; median of {repeat} "
        "warm runs, interleaved"
    )
    cpu_ratio = median_cpu["first"] / median_cpu["table"]
    print(
        f"First render of the default report: {median['first']:.3f} s "
        f"(CPU {median_cpu['first']:.3f} s)"
    )
    print(
        f"Reference table (100 rows, {table_pages} pages, same settings): {median['table']:.3f} s"
        f" (CPU {median_cpu['table']:.3f} s)   first render / table "
        f"{median['first'] / median['table']:.2f} (CPU {cpu_ratio:.2f})"
    )
    wall_ratio = median["first"] / median["table"]
    against_wall = wall_ratio / MORNING_FIRST_PER_TABLE
    against_cpu = cpu_ratio / MORNING_FIRST_PER_TABLE_CPU
    print(
        f"Against the morning of 2026-12-03 (first render / table {MORNING_FIRST_PER_TABLE:.2f},"
        f" CPU {MORNING_FIRST_PER_TABLE_CPU:.2f}): {against_wall:.2f}x (CPU {against_cpu:.2f}x);"
        f" goal {FIRST_RENDER_GOAL}x"
    )
    pairs = (
        f"case={FIRST_RENDER_CASE} pages={pages} first_s={median['first']:.3f} "
        f"table_s={median['table']:.3f} first_per_table={median['first'] / median['table']:.2f} "
        f"first_cpu_s={median_cpu['first']:.3f} table_cpu_s={median_cpu['table']:.3f} "
        f"first_per_table_cpu={cpu_ratio:.2f} against_morning={against_wall:.2f} "
        f"against_morning_cpu={against_cpu:.2f}"
    )
    if "chromium" in median:
        print(
            f"Chromium print of the same HTML ({printer.mode}; an outside yardstick): "
            f"{median['chromium']:.3f} s"
            f"   chromium / first render {median['chromium'] / median['first']:.2f}, "
            f"chromium / table {median['chromium'] / median['table']:.2f}"
        )
        pairs += (
            f" chromium_s={median['chromium']:.3f} "
            f"chromium_per_first={median['chromium'] / median['first']:.2f} "
            f"chromium_per_table={median['chromium'] / median['table']:.2f}"
        )
    else:
        print(f"Chromium: {CHROMIUM} not found, not measured")
    print(f"{pairs} cpus={multiprocessing.cpu_count()} today={date.today().isoformat()}")


def timed(function, repeat: int) -> tuple[float, object]:
    """Median seconds of ``repeat`` warm calls (after one warm-up call), and the last result."""
    result = function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _warm_worker(seconds: float) -> int:
    """Warm a worker: render a small PDF once and hold the worker so each gets one."""
    import os

    render_pdf("<html lang='en'><head><title>w</title></head><body><p>warm</p></body></html>")
    time.sleep(seconds)
    return os.getpid()


def batch_rate(app, jobs: list, workers: int) -> float:
    """Reports per second on ``workers`` warmed worker processes, as ``practice reports`` runs
    them (forked from this process, with its app)."""
    with app.app_context():
        pool = batch_processes.process_pool(workers)
    with pool:
        pids = set(pool.map(_warm_worker, [0.5] * workers))
        assert len(pids) == workers, pids
        started = time.perf_counter()
        outcomes = batches.run_batch(jobs, batch_processes.generate_copy, pool)
        elapsed = time.perf_counter() - started
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"batch failed: {failed[0].detail}")
    return len(jobs) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="Warm runs per measurement.")
    parser.add_argument("--batch", type=int, default=8, help="Reports per batch run.")
    parser.add_argument("--rounds", type=int, default=3, help="Batch runs per process count.")
    parser.add_argument(
        "--render-only", action="store_true", help="Only the first-render figures (issue 17)."
    )
    args = parser.parse_args()

    first_render_figures(args.repeat)
    if args.render_only:
        return
    print()

    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"}, instance_path=tmp)
        with app.app_context():
            migrate.upgrade()
            demo.seed_demo(scale=0.25, sessions_per_case=TARGET_SESSIONS)
            db.commit()
            counts = db.execute(
                select(Case.id, func.count(TherapySession.id))
                .join(TherapySession, TherapySession.case_id == Case.id)
                .group_by(Case.id)
            ).all()
            case_id, sessions = min(counts, key=lambda row: abs(row[1] - TARGET_SESSIONS))
            case = db.get(Case, case_id)
            start, end = reports.default_period(case, TODAY)
            member = case.counsellor

            def full_report():
                context = report_context(case, start, end, "clinical", "", member)
                return render_pdf(build_report_html(context))

            report_s, pdf = timed(full_report, args.repeat)
            html = build_report_html(report_context(case, start, end, "clinical", "", member))

            def weasy_only():
                return HTML(string=html, url_fetcher=AssetFetcher()).write_pdf(**PDF_OPTIONS)

            weasy_s, _ = timed(weasy_only, args.repeat)
            reference = reference_html()
            reference_doc = HTML(string=reference).render()
            reference_pages = len(reference_doc.pages)

            def reference_only():
                return HTML(string=reference).write_pdf()

            reference_s, _ = timed(reference_only, args.repeat)
            # The same case every time: equal jobs, so neither worker idles at the end.
            out_dir = Path(tmp) / "out"
            out_dir.mkdir()
            jobs = [
                batches.BatchJob(case.id, case.reference, "referrer", str(out_dir / f"{i}.pdf"))
                for i in range(args.batch)
            ]
            db.commit()
        # Interleaved rounds, each configuration's median kept: other work on a shared machine
        # slows whichever configuration it happens to overlap.
        rates: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for workers in (1, 2):
                rates[workers].append(batch_rate(app, jobs, workers))
        rate_1, rate_2 = (statistics.median(rates[w]) for w in (1, 2))
        peak = subprocess.run(
            [sys.executable, "-c", PEAK_SCRIPT, url, tmp, str(case_id), TODAY.isoformat()],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        peak_mb = int(peak[0]) / 1024

    pages = pdf.page_count
    ratio = report_s / weasy_s
    per_page = report_s / pages
    reference_per_page = reference_s / reference_pages
    per_page_ratio = per_page / reference_per_page
    speedup = rate_2 / rate_1
    print(f"Case: {sessions} sessions, {pages} pages (clinical, {start} to {end})")
    print(f"Report, median warm:        {report_s:.3f} s")
    print(f"WeasyPrint alone, same HTML: {weasy_s:.3f} s   ratio {ratio:.2f} (target <= 1.3)")
    print(
        f"Per page: report {per_page:.3f} s, reference table {reference_per_page:.3f} s "
        f"({reference_pages} pages, {reference_s:.3f} s)   ratio {per_page_ratio:.2f} "
        "(target <= 1.5)"
    )
    print(
        f"Batch of {len(jobs)}, median of {args.rounds} rounds: {rate_1:.2f} reports/s on 1 "
        f"process, {rate_2:.2f} on 2   speedup {speedup:.2f} (target >= 1.8)"
    )
    print(f"Peak memory of one report process: {peak_mb:.0f} MB (target <= 250)")
    print(
        f"sessions={sessions} pages={pages} report_s={report_s:.3f} weasy_s={weasy_s:.3f} "
        f"ratio={ratio:.2f} per_page_s={per_page:.3f} reference_per_page_s="
        f"{reference_per_page:.3f} per_page_ratio={per_page_ratio:.2f} rate_1={rate_1:.2f} "
        f"rate_2={rate_2:.2f} speedup={speedup:.2f} peak_mb={peak_mb:.0f} "
        f"cpus={multiprocessing.cpu_count()} today={date.today().isoformat()}"
    )


if __name__ == "__main__":
    main()
