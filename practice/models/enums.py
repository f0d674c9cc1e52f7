"""Closed vocabularies stored as short strings.

Stored as strings with CHECK constraints rather than native enums so that adding a value is an
ordinary Alembic revision on both SQLite and PostgreSQL.
"""

from enum import StrEnum


class Role(StrEnum):
    COUNSELLOR = "counsellor"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class CaseKind(StrEnum):
    COUPLE = "couple"
    INDIVIDUAL = "individual"
    FAMILY = "family"


class CaseStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class CycleRole(StrEnum):
    PURSUER = "pursuer"
    WITHDRAWER = "withdrawer"
    MIXED = "mixed"
    UNCLEAR = "unclear"


class Modality(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"


class NoteStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class ReviewStatus(StrEnum):
    """Where a signed note stands in its supervisor's co-signature queue."""

    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    COSIGNED = "cosigned"
    RETURNED = "returned"


class Valence(StrEnum):
    ESCALATING = "escalating"
    DEESCALATING = "de-escalating"
    NEUTRAL = "neutral"


class ScriptRole(StrEnum):
    """Whom a script is written for."""

    PURSUER = "pursuer"
    WITHDRAWER = "withdrawer"
    EITHER = "either"


class AssignmentStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class Audience(StrEnum):
    CLINICAL = "clinical"
    CLIENT = "client"
    REFERRER = "referrer"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


def check_in(column: str, values: type[StrEnum]) -> str:
    """SQL for a CHECK that ``column`` holds one of the enum's values."""
    quoted = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({quoted})"
