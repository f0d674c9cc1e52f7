"""All tracker models, one module per area."""

from practice.models.audit import AuditEvent
from practice.models.cases import Case, Partner
from practice.models.enums import (
    AssignmentStatus,
    Audience,
    CaseKind,
    CaseStatus,
    CycleRole,
    JobStatus,
    Modality,
    NoteStatus,
    ReviewStatus,
    Role,
    ScriptRole,
    Valence,
)
from practice.models.measures import MeasureResponse
from practice.models.moments import Moment, MomentType
from practice.models.reports import Report, ReportJob
from practice.models.scripts import Script, ScriptAssignment, ScriptObservation
from practice.models.sessions import Addendum, TherapySession, session_attendance
from practice.models.staff import Account, ApiToken, RecoveryCode, StaffMember
from practice.models.supervision import CommentRead, SupervisionComment
from practice.models.throttle import LoginThrottle

__all__ = [
    "Account",
    "Addendum",
    "ApiToken",
    "AssignmentStatus",
    "Audience",
    "AuditEvent",
    "Case",
    "CaseKind",
    "CaseStatus",
    "CommentRead",
    "CycleRole",
    "JobStatus",
    "LoginThrottle",
    "MeasureResponse",
    "Modality",
    "Moment",
    "MomentType",
    "NoteStatus",
    "Partner",
    "RecoveryCode",
    "Report",
    "ReportJob",
    "ReviewStatus",
    "Role",
    "Script",
    "ScriptAssignment",
    "ScriptObservation",
    "ScriptRole",
    "StaffMember",
    "SupervisionComment",
    "TherapySession",
    "Valence",
    "session_attendance",
]
