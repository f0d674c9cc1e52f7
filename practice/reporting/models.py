"""Generated PDF reports and background report jobs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from practice.core.database import Base, UTCDateTime, check_in, utcnow


class Audience(StrEnum):
    CLINICAL = "clinical"
    CLIENT = "client"
    REFERRER = "referrer"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class Report(Base):
    """A PDF as generated; the stored bytes hash to ``sha256``."""

    __tablename__ = "practice_report"
    __table_args__ = (
        sa.CheckConstraint(check_in("audience", Audience), name="audience"),
        sa.Index("ix_practice_report_case_digest", "case_id", "inputs_digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    audience: Mapped[str] = mapped_column(sa.String(10))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    narrative: Mapped[str] = mapped_column(sa.Text, default="")
    # The counsellor's recommendations, entered with the request: printed in the referrer
    # report (and the clinical record), never in the clients'.
    recommendations: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    generated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int]
    page_count: Mapped[int] = mapped_column(default=0)
    # Relative to the instance folder's report store; never a user-supplied path.
    storage_path: Mapped[str] = mapped_column(sa.String(255))
    # A prepared default report's: the SHA-256 of its HTML with the "generated on" time left
    # out (``practice.reporting.prerender``); None for every other report.
    inputs_digest: Mapped[str | None] = mapped_column(sa.String(64))


class ReportJob(Base):
    """A batch of reports generated in the background, on the report queue.

    ``done + failed`` counts the cases handled, each committed with its report, so a resumed
    run carries on where the last one stopped. ``queue_job_id`` is the id of the queue task
    that owns the job now; a task whose id it no longer is (handed over, or a duplicate) leaves
    the job alone. ``heartbeat_at`` is the owner's last sign of life.
    """

    __tablename__ = "practice_report_job"
    __table_args__ = (sa.CheckConstraint(check_in("status", JobStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default=JobStatus.QUEUED)
    parameters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.String(1000))
    queue_job_id: Mapped[str | None] = mapped_column(sa.String(64))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Runs that claimed the job: the first, and one for each hand-over or retry.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
