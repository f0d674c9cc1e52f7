"""All tracker models, one module per area."""

from practice.accounts.models import (
    Account,
    ApiToken,
    LoginThrottle,
    RecoveryCode,
    Role,
    StaffMember,
)
from practice.appointments.models import (
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    CancelledBy,
)
from practice.audit.models import AuditEvent
from practice.breaks.models import AccountSource, BreakAccount, BreakEpisode, BreakOutcome
from practice.cases.models import (
    BreakGlass,
    Case,
    CaseAssignment,
    CaseKind,
    CaseStatus,
    CycleRole,
    Partner,
)
from practice.checkins.models import Checkin, CheckinBreak, CheckinLink, CheckinScriptAnswer
from practice.eft.models import ChangeEvent, StageOverride, event_evidence
from practice.formulation.models import CycleMapEvidence, CycleMapRevision, CycleMapSide
from practice.goals.models import GoalRating, GoalStatus, RatingSource, TreatmentGoal
from practice.measures.models import MeasureResponse, ScoreSharingConsent
from practice.moments.models import Moment, MomentType, Valence
from practice.reporting.models import Audience, JobStatus, Report, ReportJob
from practice.safety.models import RescreenDue, SafetyScreen, ScreenOverride
from practice.scripts.models import (
    AssignmentStatus,
    Script,
    ScriptAssignment,
    ScriptObservation,
    ScriptRole,
)
from practice.sessions.models import (
    Addendum,
    Modality,
    NoteStatus,
    ReviewStatus,
    TherapySession,
    session_attendance,
)
from practice.supervision.models import CommentRead, SupervisionComment

__all__ = [
    "Account",
    "AccountSource",
    "Addendum",
    "ApiToken",
    "Appointment",
    "AppointmentStatus",
    "AssignmentStatus",
    "Audience",
    "AuditEvent",
    "BreakAccount",
    "BreakEpisode",
    "BreakGlass",
    "BreakOutcome",
    "CalendarFeed",
    "CancelledBy",
    "Case",
    "CaseAssignment",
    "CaseKind",
    "CaseStatus",
    "ChangeEvent",
    "Checkin",
    "CheckinBreak",
    "CheckinLink",
    "CheckinScriptAnswer",
    "CommentRead",
    "CycleMapEvidence",
    "CycleMapRevision",
    "CycleMapSide",
    "CycleRole",
    "GoalRating",
    "GoalStatus",
    "JobStatus",
    "LoginThrottle",
    "MeasureResponse",
    "Modality",
    "Moment",
    "MomentType",
    "NoteStatus",
    "Partner",
    "RatingSource",
    "RecoveryCode",
    "Report",
    "ReportJob",
    "RescreenDue",
    "ReviewStatus",
    "Role",
    "SafetyScreen",
    "ScoreSharingConsent",
    "ScreenOverride",
    "Script",
    "ScriptAssignment",
    "ScriptObservation",
    "ScriptRole",
    "StaffMember",
    "StageOverride",
    "SupervisionComment",
    "TherapySession",
    "TreatmentGoal",
    "Valence",
    "event_evidence",
    "session_attendance",
]
