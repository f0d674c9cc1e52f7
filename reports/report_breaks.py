"""The breaks part of a progress report: the breaks called in the period, judged by the break
rules (``practice.breaks.rules``) at the period's end, for the clinician as a table with the
return rate and the flag, and for the clients in plain, warm, even-handed words.

The clients' words name no partner (who called a break is never the point: the pair of them
pausing and coming back is), no rule, threshold or class, and blame nobody.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from practice.breaks import queries, rules
from practice.breaks.models import OUTCOME_LABELS
from practice.cases.models import Case, CaseKind
from practice.core.database import utcnow


def _judged_at(end: date, zone: tzinfo) -> datetime:
    """The period's end (the end of its last day in the practice's zone), or now if sooner."""
    end_of_day = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return min(utcnow(), end_of_day)


def _gap(called_at: datetime, resumed_at: datetime | None) -> str:
    if resumed_at is None:
        return "—"
    minutes = int((resumed_at - called_at).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def break_report(case: Case, start: date, end: date, zone: tzinfo, client: bool) -> dict:
    """The report's breaks: ``rows`` (clinical), ``rate`` and ``flag`` at the period's end, and
    ``client_lines`` (the clients' words)."""
    now = _judged_at(end, zone)
    start_at = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    found = queries.case_breaks(case, now=now, since=start_at)
    names = {p.id: p.display_name for p in case.partners}
    episodes = list(reversed(found.episodes))  # oldest first, as the report reads
    rows = [
        {
            "called": ep.episode.called_at.astimezone(zone).strftime("%d %b %Y %H:%M"),
            "called_by": names.get(ep.chosen.called_by_id, ""),
            "with_script": ep.chosen.with_script,
            "flooding": ep.chosen.flooding,
            "heart_rate": ep.chosen.heart_rate,
            "back_after": _gap(ep.chosen.called_at, ep.chosen.resumed_at),
            "resumed_by": names.get(ep.chosen.resumed_by_id or 0, ""),
            "with_invitation": ep.chosen.with_invitation,
            "outcome": OUTCOME_LABELS.get(ep.chosen.outcome or "", "—"),
            "kind": ep.kind_label,
            "accounts": len(ep.accounts),
            "differ": ", ".join(ep.differing).lower(),
        }
        for ep in episodes
    ]
    kinds = [ep.kind for ep in episodes]
    return {
        "rows": rows,
        "rate": found.rate,
        "rate_days": found.thresholds.rate_days,
        "flag": found.flag.reason if found.flag else "",
        "legend": (
            f"Protective: back to talk after {found.thresholds.min_minutes:g} minutes or more and "
            f"within {found.thresholds.max_hours:g} hours; early: sooner; unreturned: no return "
            f"within {found.thresholds.max_hours:g} hours; pending: younger than that."
        ),
        "client_lines": client_lines(
            kinds,
            sum(1 for ep in episodes if ep.chosen.with_invitation),
            case.kind,
            found.thresholds.min_minutes,
        )
        if client
        else [],
    }


def _count(number: int) -> str:
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
    return words.get(number, str(number))


def client_lines(
    kinds: list[str], invitations: int, case_kind: str, min_minutes: float = 20
) -> list[str]:
    """The clients' words about their breaks in the period: how many pauses, how many they came
    back from, and a warm word on each; nobody named, nothing judged. Pure."""
    total = len(kinds)
    together = {CaseKind.INDIVIDUAL: "you", CaseKind.FAMILY: "all of you"}.get(
        case_kind, "you both"
    )
    if total == 0:
        return [
            "No breaks were noted in this period. If things get heated, taking time to settle "
            f"and then coming back to talk is something {together} can always reach for."
        ]
    back = sum(1 for kind in kinds if rules.returned(kind))
    quick = sum(1 for kind in kinds if kind == rules.EARLY)
    open_ = sum(1 for kind in kinds if kind == rules.UNRETURNED)
    waiting = sum(1 for kind in kinds if kind == rules.PENDING)
    pauses = "a break" if total == 1 else f"{_count(total)} breaks"
    decided = total - waiting
    if decided and back == decided:
        came_back = "came back to talk after it" if decided == 1 else "came back to talk after each"
        if waiting:
            came_back += " that has had time to settle"
    elif back:
        came_back = f"came back to talk after {_count(back)} of them"
    else:
        came_back = "have not yet found your way back to the conversation after them"
    lines = [f"In this period you took {pauses} when things got heated, and {came_back}."]
    if back:
        lines.append(
            "Taking a break and then coming back is exactly what we are practising: it gives "
            f"{together} time to settle, and coming back shows the conversation matters to "
            f"{together}."
        )
    if invitations:
        lines.append(
            "Asking each other when would be a good time to sit with it together helped the "
            "conversation start again."
        )
    if quick:
        lines.append(
            "Sometimes the conversation started again quite soon. Giving it a little longer, "
            f"around {min_minutes:g} minutes or more, usually helps everyone feel settled first."
        )
    if open_:
        lines.append(
            "Once or more, the conversation did not get picked up again within a day. That "
            "happens to many couples; it is something we can look at together when we meet."
            if case_kind == CaseKind.COUPLE
            else "Once or more, the conversation did not get picked up again within a day. "
            "That happens; it is something we can look at together when we meet."
        )
    return lines
