"""People who use the tracker: standalone login accounts and staff roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow


class Role(StrEnum):
    COUNSELLOR = "counsellor"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# The roles a staff member must hold to be chosen as someone's supervisor. Not administrators:
# they read no clinical record (but by break-glass), so as supervisors they would see nothing.
SUPERVISING_ROLES = (Role.SUPERVISOR,)


class Account(Base):
    """A login of the standalone app (the "tiny host"). A host app brings its own users."""

    __tablename__ = "practice_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout, password change and deactivation so older session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    # Encrypted with a key outside the database (``practice.accounts.totp``); a plaintext one
    # from before is encrypted on its next use or by ``practice integrity reseal``.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_last_counter: Mapped[int | None] = mapped_column(sa.BigInteger)
    # A secret shown for enrolment, promoted to ``totp_secret`` once a code from it is confirmed.
    totp_pending_secret: Mapped[str | None] = mapped_column(sa.String(255))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Flask-Login protocol.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<Account {self.id}>"


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app; only its SHA-256 is kept."""

    __tablename__ = "practice_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id}>"


class StaffMember(Base):
    """A user's role in the practice, keyed by the host's user id."""

    __tablename__ = "practice_staff"
    __table_args__ = (sa.CheckConstraint(check_in("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.COUNSELLOR)
    supervisor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("practice_staff.id"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The member's own IANA time zone and locale for what they see and enter; None: the
    # practice's (PRACTICE_TIMEZONE, PRACTICE_LOCALE). practice.core.local_time reads them.
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str | None] = mapped_column(sa.String(35))

    supervisor: Mapped[StaffMember | None] = relationship(
        remote_side=[id], back_populates="supervisees"
    )
    supervisees: Mapped[list[StaffMember]] = relationship(back_populates="supervisor")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    def __repr__(self) -> str:
        return f"<StaffMember {self.id} {self.role}>"


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "practice_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Noted at most once a minute (``tokens.LAST_USE_PRECISION``), not written on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every token ends: at most a year after it was made (``tokens.MAX_EXPIRY_DAYS``).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A read-only token is refused any request but GET, HEAD and OPTIONS.
    read_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    staff: Mapped[StaffMember] = relationship()


class LoginThrottle(Base):
    """Failures from one remote address in the current window, and until when it is refused."""

    __tablename__ = "practice_login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    # IPv6 addresses are at most 45 characters in text form.
    address: Mapped[str] = mapped_column(sa.String(45), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Failed sign-ins naming no account from this address: audited as one row per window with
    # their count (``login_throttle.anonymous_failures_to_audit``), so that guessing names
    # cannot grow the audit log without bound. When the last such row was written, and how
    # many failures came since.
    anonymous_audited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymous_failures: Mapped[int] = mapped_column(default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.id}>"
