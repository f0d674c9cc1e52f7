"""The stages of Emotionally Focused Therapy (EFT), defined once.

A case records the stage it is in now and each session the stage it was held in; either is one
of ``STAGES`` or left blank (not yet assessed). Forms, API schemas, operations, pages, reports,
exports and the database's check constraints all take the stages from here.

One stage (``CASE_STAGE_RULE``): the case's current stage is stored on the case, so that its
header, the dashboard, exports and reports read one value, and the sessions move it. Whenever a
session's stage is recorded or changed, or a session recording one is moved in time or voided,
the case takes the stage of its latest standing (not voided) session that records one
(``current_stage``); editing an older session therefore never moves the case past a later
session's stage. With no session recording a stage, the case keeps the one set on the case page,
which may also set it between sessions. A new session's form starts at the case's stage.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One stage of EFT: its number, its name and what the couple's work in it is."""

    number: int
    name: str
    description: str

    @property
    def label(self) -> str:
        """``1: De-escalation``."""
        return f"{self.number}: {self.name}"


STAGES: tuple[Stage, ...] = (
    Stage(
        1,
        "De-escalation",
        "The couple comes to see the negative cycle, not each other, as the problem, "
        "and the cycle loses its heat.",
    ),
    Stage(
        2,
        "Restructuring the bond",
        "The withdrawer re-engages and the pursuer softens: each voices attachment needs "
        "and fears, and the other responds.",
    ),
    Stage(
        3,
        "Consolidation",
        "The couple finds new solutions to old problems and makes the new, safer cycle its own.",
    ),
)
NAMES: dict[int, str] = {stage.number: stage.name for stage in STAGES}
FIRST = STAGES[0].number
LAST = STAGES[-1].number
NOT_ASSESSED = "Not yet assessed"

# The stages are consecutive numbers, so the database checks a range (both tables' constraint).
SQL_CHECK = f"eft_stage IS NULL OR eft_stage BETWEEN {FIRST} AND {LAST}"
_NUMBERS = [str(stage.number) for stage in STAGES]
INVALID = f"The EFT stage is {', '.join(_NUMBERS[:-1])} or {_NUMBERS[-1]}, or left blank."


def is_stage(value: object) -> bool:
    """Whether ``value`` is the number of an EFT stage (a whole number, never a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value in NAMES


def stage_problem(value: object) -> str | None:
    """Why ``value`` cannot be recorded as an EFT stage, or None if it can (blank can)."""
    return None if value is None or is_stage(value) else INVALID


def stage(number: int | None) -> Stage | None:
    """The stage numbered ``number``, or None when not assessed (or no such stage)."""
    return next((stage for stage in STAGES if stage.number == number), None)


def name(number: int | None) -> str:
    """The stage's name (``De-escalation``), or ``Not yet assessed``."""
    found = stage(number)
    return found.name if found is not None else NOT_ASSESSED


def label(number: int | None) -> str:
    """The stage's number and name (``1: De-escalation``), or ``Not yet assessed``."""
    found = stage(number)
    return found.label if found is not None else NOT_ASSESSED


CASE_STAGE_RULE = (
    "The case's stage follows its latest session that records one; "
    "a new session starts at the case's stage."
)


def current_stage(stages_in_order: Iterable[int | None], kept: int | None) -> int | None:
    """The case's current stage: the last recorded stage of its standing sessions, taken in
    the order they were held, or ``kept`` (the case's own) when none records one."""
    recorded = [number for number in stages_in_order if number is not None]
    return recorded[-1] if recorded else kept


def choices() -> list[tuple[int, str]]:
    """(number, ``Stage 1: De-escalation``) for each stage, in order, for a form's select."""
    return [(stage.number, f"Stage {stage.label}") for stage in STAGES]
