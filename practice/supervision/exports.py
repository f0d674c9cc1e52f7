"""Exports of the supervisor's caseload: a CSV of the dashboard's rows and a summary PDF.

Neither holds clinical free text: no notes, presenting concerns, goals, comments or partners'
names; only references, counts, dates, labels and the flags' reasons (which the flag rules word
from figures and dates). The PDF goes through the progress reports' machinery: the same Jinja
environment (autoescaped, its own loader) and ``render_pdf`` with its locked-down fetcher.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from flask import current_app

from practice.accounts.models import Role, StaffMember
from practice.cases import eft
from practice.core import local_time
from practice.measures import csi4
from practice.reports import pdf, progress_report
from practice.supervision.dashboard import CaseLine, Dashboard, csi4_change_words
from practice.supervision.flags import (
    FLAG_KINDS,
    SEVERITIES,
    SEVERITY_LABELS,
    Flag,
    day,
    describe_since,
    describe_thresholds,
)

CSV_HEADER = (
    "Counsellor",
    "Case reference",
    "Sessions",
    "Last session",
    "EFT stage",
    "De-escalation trend",
    "Trend slope (points per session)",
    "Scripts adopted",
    "Scripts assigned",
    "Scripts lapsed",
    "Latest CSI-4",
    "CSI-4 change",
    "Unsigned notes",
    "Severity",
    "Flags",
    "Flag reasons",
)
# Landscape named pages of caseload.css, by PRACTICE_PAGE_SIZE.
PAGE_CLASSES = {"A4": "page-a4", "LETTER": "page-letter"}
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def scope_label(member: StaffMember, *, addressed: bool = False) -> str:
    """Whose cases the dashboard holds, in words; ``addressed`` speaks to ``member``."""
    if member.role == Role.ADMIN:
        return "Every active case in the practice"
    if addressed:
        return "The active cases of your supervisees and your own"
    return f"The active cases of {member.display_name}'s supervisees and their own"


def filename(board: Dashboard, suffix: str) -> str:
    """A download name made of the date only, never of user input."""
    return f"caseload-{board.generated_at:%Y-%m-%d}.{suffix}"


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def flag_text(flag: Flag) -> str:
    """A flag in one line: ``Severe distress (urgent, since 12 Aug 2026): reason``."""
    return f"{flag.label} ({flag.severity}, since {day(flag.since)}): {flag.reason}"


def csv_row(line: CaseLine) -> list[object]:
    """One case as CSV cells, in the order of ``CSV_HEADER``."""
    slope = line.trend.slope
    return [
        _cell(value)
        for value in (
            line.counsellor,
            line.reference,
            line.session_count,
            _local_day(line.last_session_at),
            line.eft_stage or "",
            line.trend.label,
            round(slope * 100, 1) if slope is not None else "",
            line.scripts_adopted,
            line.scripts_total,
            line.scripts_lapsed,
            line.csi4_summary,
            line.csi4_change_summary,
            line.unsigned,
            line.severity or "",
            "; ".join(dict.fromkeys(flag.kind for flag in line.flags)),
            " | ".join(flag_text(flag) for flag in line.flags),
        )
    ]


def _local_day(moment) -> str:
    """A moment's day in the practice's zone (ISO), as the pages show it; empty for none."""
    if moment is None:
        return ""
    return local_time.local_day(moment, local_time.practice_zone(current_app.config)).isoformat()


def caseload_csv(board: Dashboard) -> str:
    """The dashboard's rows (filtered and sorted as shown) as CSV text with a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for line in board.lines:
        writer.writerow(csv_row(line))
    return out.getvalue()


# --- Caseload summary PDF ---------------------------------------------------------------------


def summary_context(board: Dashboard, member: StaffMember) -> dict:
    """Everything the caseload summary PDF shows, as plain values.

    Raises ValueError for a PRACTICE_PAGE_SIZE other than A4 or Letter.
    """
    config = current_app.config
    page_size = str(config["PRACTICE_PAGE_SIZE"]).upper()
    if page_size not in PAGE_CLASSES:
        raise ValueError(f"PRACTICE_PAGE_SIZE must be A4 or Letter, not {page_size!r}")
    generated = board.generated_at
    generated_local = local_time.to_local(generated, local_time.practice_zone(config))
    # Over every active case in scope, like the per-counsellor lines, whatever the filters.
    flagged = sum(summary.flagged for summary in board.summaries)
    rules = describe_thresholds(board.thresholds)
    since = describe_since(board.thresholds)
    return {
        "practice_name": config["PRACTICE_NAME"],
        "page_class": PAGE_CLASSES[page_size],
        "title": f"Caseload summary, {day(generated_local)}",
        "scope": scope_label(member),
        "generated_by": member.display_name,
        "generated_at": generated,
        "generated_local": generated_local,
        "filtered": board.query.filtered,
        "total": board.total,
        "shown": len(board.lines),
        "flagged": flagged,
        "summaries": [vars(summary) for summary in board.summaries],
        # The template words each kind as "⚑ label (n cases): rule."
        "flag_kinds": {
            kind: f"{label} ({SEVERITY_LABELS[SEVERITIES[kind]].lower()})"
            for kind, label in FLAG_KINDS.items()
        },
        "flag_counts": board.flag_counts,
        "thresholds": {kind: f"{rules[kind]}; since: {since[kind]}" for kind in FLAG_KINDS},
        "stages": eft.NAMES,
        "csi4_cutoff": csi4.CSI4_CUTOFF,
        "rows": [
            {
                "reference": line.reference,
                "counsellor": line.counsellor,
                "sessions": line.session_count,
                "last_session": line.last_session_at,
                "eft_stage": line.eft_stage,
                "trend": line.trend.label,
                "adoption": line.adoption_summary,
                "csi4": [
                    f"Partner {number}: {change.latest:g}, {csi4_change_words(change)}"
                    for number, change in line.csi4
                ],
                "flags": [
                    {
                        "label": f"{f.label} ({f.severity})",
                        "reason": f"{f.reason} (since {day(f.since)})",
                    }
                    for f in line.flags
                ],
            }
            for line in board.lines
        ],
    }


def build_summary_html(context: dict, *, asset_url: Callable[[str], str] = pdf.asset_url) -> str:
    """The summary's HTML, rendered with the progress reports' own Jinja environment."""
    environment = progress_report.report_environment()
    return environment.get_template("caseload_summary.html").render(context, asset=asset_url)


def caseload_summary_html(board: Dashboard, member: StaffMember) -> str:
    """The caseload summary's HTML, for ``render_summary``; raises ValueError as
    ``summary_context`` does."""
    return build_summary_html(summary_context(board, member))


def render_summary(html: str) -> bytes:
    """The summary as PDF bytes (with ``.page_count``), through the reports' ``render_pdf``."""
    return pdf.render_pdf(html)
