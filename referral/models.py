"""The domain as typed SQLAlchemy 2.0 models (ARCHITECTURE.md says where each rule lives).

Invariants that matter are database constraints too (unique application per candidate and
offer, one share link per offer, agent and channel, one credit per application and milestone
and round), so that a race between two requests cannot break them.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (stored as UTC on every database)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database.

    SQLite has no time zones: values are stored naive in UTC and made aware again on load.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnumType(TypeDecorator):
    """A ``StrEnum`` stored as its string in a VARCHAR, read back as the enum member.

    No database enum type: the column stays the string it always was (no data migration),
    and the table's CHECK constraint lists the allowed values. A plain string is written as
    it is, so a wrong one is refused by that constraint, not here.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int):
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect) -> enum.StrEnum | str | None:
        if value is None:
            return None
        try:
            return self.enum_class(value)
        except ValueError:  # a value older than the vocabulary: shown as it is
            return value


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


def _in(column: str, values: type[enum.Enum] | tuple[str, ...]) -> str:
    items = [v.value for v in values] if isinstance(values, type) else list(values)
    return f"{column} IN ({', '.join(repr(v) for v in items)})"


# --- vocabularies -------------------------------------------------------------------------


class Role(enum.StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    MANAGER = "manager"
    AGENT = "agent"


class OfferStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    FILLED = "filled"


class OfferAction(enum.StrEnum):
    """What may be done to an offer besides editing and duplicating it (always possible)."""

    PUBLISH = "publish"
    CLOSE = "close"
    FILL = "fill"
    SHARE = "share"


# The lifecycle of an offer: draft -> published -> closed or filled; a closed offer may be
# published again or marked filled; a filled one is done (duplicate it to open the job again).
OFFER_ACTIONS: dict[OfferStatus, frozenset[OfferAction]] = {
    OfferStatus.DRAFT: frozenset({OfferAction.PUBLISH}),
    OfferStatus.PUBLISHED: frozenset({OfferAction.CLOSE, OfferAction.FILL, OfferAction.SHARE}),
    OfferStatus.CLOSED: frozenset({OfferAction.PUBLISH, OfferAction.FILL}),
    OfferStatus.FILLED: frozenset(),
}


class Versant(enum.StrEnum):
    ETAT = "etat"
    TERRITORIALE = "territoriale"
    HOSPITALIERE = "hospitaliere"


class Category(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


class EmploymentNature(enum.StrEnum):
    FONCTIONNAIRE = "fonctionnaire"
    CONTRACTUEL = "contractuel"
    BOTH = "both"


class ContractType(enum.StrEnum):
    PERMANENT = "permanent"  # emploi permanent / CDI
    FIXED_TERM = "fixed_term"  # CDD
    APPRENTICESHIP = "apprenticeship"
    INTERNSHIP = "internship"
    TEMPORARY = "temporary"  # vacataire, remplacement


class RemoteWork(enum.StrEnum):
    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


class WorkingTime(enum.StrEnum):
    FULL = "full"
    PART = "part"


class Channel(enum.StrEnum):
    LINKEDIN = "linkedin"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    X = "x"
    FACEBOOK = "facebook"
    COPY = "copy"
    QR = "qr"


class ApplicationStatus(enum.StrEnum):
    NEW = "new"
    SCREENING = "screening"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OPEN_APPLICATION_STATUSES = frozenset(
    {
        ApplicationStatus.NEW,
        ApplicationStatus.SCREENING,
        ApplicationStatus.INTERVIEW,
        ApplicationStatus.OFFER,
    }
)


class ApplicationSource(enum.StrEnum):
    SHARE_LINK = "share_link"
    REFERRAL = "referral"
    CAREERS = "careers"
    INTERNAL = "internal"


class ReferralStatus(enum.StrEnum):
    INVITED = "invited"
    APPLIED = "applied"
    SUPERSEDED = "superseded"


class Milestone(enum.StrEnum):
    APPLIED = "applied"
    SHORTLISTED = "shortlisted"
    INTERVIEW = "interview"
    HIRED = "hired"


class PayUnit(enum.StrEnum):
    """What an offer's pay range is counted per (schema.org's unitText, in lower case)."""

    MONTH = "month"
    YEAR = "year"
    HOUR = "hour"


class CreditState(enum.StrEnum):
    PENDING = "pending"
    ELIGIBLE = "eligible"
    PAID = "paid"
    VOID = "void"


class CvTextStatus(enum.StrEnum):
    """Whether text could be read from an uploaded CV (a scan without text layer cannot)."""

    OK = "ok"
    NO_TEXT = "no_text"


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the worker
    HELD = "held"  # waiting for the recipient's digest
    SENT = "sent"
    FAILED = "failed"  # gave up after the maximum number of attempts
    IN_APP = "in_app"  # shown in the inbox only, no e-mail


class TrainingAudience(enum.StrEnum):
    DGA = "dga"
    DIRECTORS = "directors"
    AGENTS = "agents"


# --- organisation ---------------------------------------------------------------------------


class Direction(Base):
    """A unit of the organisation: DGA > direction > service."""

    __tablename__ = "direction"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("direction.id", ondelete="RESTRICT"), index=True
    )

    parent: Mapped[Direction | None] = relationship(
        back_populates="children", remote_side="Direction.id"
    )
    children: Mapped[list[Direction]] = relationship(
        back_populates="parent", order_by="Direction.name"
    )
    users: Mapped[list[User]] = relationship(back_populates="direction")

    def __repr__(self) -> str:
        return f"<Direction {self.code}>"

    def path(self) -> list[Direction]:
        """From the root down to this direction."""
        chain: list[Direction] = []
        node: Direction | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class User(Base):
    """A member of staff. Every active user is an agent; other roles are added."""

    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The language setting; None means "the browser's language".
    locale: Mapped[str | None] = mapped_column(String(5))
    # The language the app was last shown in to this person (at sign-in, on a language
    # switch), so that e-mails follow the browser's language when that is the setting.
    last_locale: Mapped[str | None] = mapped_column(String(5))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    direction_id: Mapped[int | None] = mapped_column(
        ForeignKey("direction.id", ondelete="SET NULL"), index=True
    )
    employee_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_leaderboard: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # Part of every session and remember-me cookie (get_id): raising it ends them all.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last invitation e-mail queued (see referral.people.invitations) and when the owner first
    # chose a password, through the invitation or "Forgot your password?".
    invited_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    # The identity provider's account (issuer and ``sub``) once matched (referral.people.sso);
    # unique together, so one person of the provider signs in to one account.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    # The invitation batch that will e-mail this account (the worker clears it once queued).
    invitation_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_batch.id", ondelete="SET NULL"), index=True
    )

    direction: Mapped[Direction | None] = relationship(back_populates="users")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.email}>"

    # What a login manager expects of a user (duck-typed: the domain imports no Flask).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The session identity, checked on every request; it changes with the password and
        with the session version (users.end_sessions), which signs out every session."""
        return f"{self.id}:{self.session_version}:{(self.password_hash or '')[-12:]}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def writing_locale(self, default: str) -> str:
        """The language to write to this person in (e-mails, inbox).

        Their setting when they chose one; with "the browser's language", the language they
        last used the app in; else ``default`` (the organisation's language).
        """
        return self.locale or self.last_locale or default

    @property
    def roles(self) -> set[Role]:
        """Granted roles; every active member of staff is an agent as well."""
        granted = {Role(r.role) for r in self.role_rows}
        return granted | {Role.AGENT}

    def has_role(self, *roles: Role | str) -> bool:
        return any(Role(r) in self.roles for r in roles)

    def set_roles(self, roles: set[Role | str]) -> None:
        wanted = {Role(r) for r in roles} - {Role.AGENT}
        self.role_rows = [r for r in self.role_rows if Role(r.role) in wanted]
        have = {Role(r.role) for r in self.role_rows}
        for role in sorted(wanted - have):
            self.role_rows.append(UserRole(role=role.value))


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint(_in("role", Role), name="role"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class PasswordResetToken(Base):
    """A single-use, expiring password reset; only the token's hash is stored."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


# --- offers and sharing -----------------------------------------------------------------------


class Offer(Base):
    """A job offer with the fields of the French public service."""

    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint(_in("status", OfferStatus), name="status"),
        CheckConstraint(_in("versant", Versant), name="versant"),
        CheckConstraint("category IS NULL OR " + _in("category", Category), name="category"),
        CheckConstraint(_in("employment_nature", EmploymentNature), name="employment_nature"),
        CheckConstraint(_in("contract_type", ContractType), name="contract_type"),
        CheckConstraint(_in("remote_work", RemoteWork), name="remote_work"),
        CheckConstraint(_in("working_time", WorkingTime), name="working_time"),
        CheckConstraint("positions >= 1", name="positions"),
        Index("ix_offer_status_published", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    direction_id: Mapped[int | None] = mapped_column(
        ForeignKey("direction.id", ondelete="RESTRICT"), index=True
    )
    hiring_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    recruiter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    versant: Mapped[str] = mapped_column(String(20), default=Versant.TERRITORIALE.value)
    category: Mapped[str | None] = mapped_column(String(1))
    metier: Mapped[str] = mapped_column(String(200), default="")
    employment_nature: Mapped[str] = mapped_column(String(20), default=EmploymentNature.BOTH.value)
    contract_type: Mapped[str] = mapped_column(String(20), default=ContractType.PERMANENT.value)
    contract_duration_months: Mapped[int | None]
    location: Mapped[str] = mapped_column(String(200), default="")
    remote_work: Mapped[str] = mapped_column(String(10), default=RemoteWork.NONE.value)
    working_time: Mapped[str] = mapped_column(String(10), default=WorkingTime.FULL.value)
    education_level: Mapped[str] = mapped_column(String(100), default="")
    min_experience_years: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text, default="")
    missions: Mapped[str] = mapped_column(Text, default="")
    profile: Mapped[str] = mapped_column(Text, default="")
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    nice_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    salary: Mapped[str] = mapped_column(String(200), default="")
    # The place of work as a postal address (the town is ``location``), and the pay as a range
    # in euros per ``pay_unit`` (PayUnit), both for the JobPosting of search engines.
    street_address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="", server_default="")
    pay_min: Mapped[int | None]
    pay_max: Mapped[int | None]
    pay_unit: Mapped[str | None] = mapped_column(String(10))
    vacancy_date: Mapped[date | None] = mapped_column(Date)
    closing_date: Mapped[date | None] = mapped_column(Date)
    positions: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[OfferStatus] = mapped_column(
        StrEnumType(OfferStatus, 12), default=OfferStatus.DRAFT
    )
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    direction: Mapped[Direction | None] = relationship()
    hiring_manager: Mapped[User | None] = relationship(foreign_keys=[hiring_manager_id])
    recruiter: Mapped[User | None] = relationship(foreign_keys=[recruiter_id])
    share_links: Mapped[list[ShareLink]] = relationship(back_populates="offer")
    applications: Mapped[list[Application]] = relationship(back_populates="offer")

    @hybrid_method
    def is_open(self, today: date) -> bool:
        """The one rule: published and not past its closing date (``today`` is still open)."""
        return self.status == OfferStatus.PUBLISHED.value and (
            self.closing_date is None or self.closing_date >= today
        )

    @is_open.inplace.expression  # type: ignore[attr-defined]  # mypy sees a plain function
    @classmethod
    def _is_open_clause(cls, today: date) -> ColumnElement[bool]:
        """The same rule as a SQL condition: ``select(Offer).where(Offer.is_open(today))``."""
        return and_(
            cls.status == OfferStatus.PUBLISHED.value,
            or_(cls.closing_date.is_(None), cls.closing_date >= today),
        )

    def allowed_actions(self) -> frozenset[OfferAction]:
        """What its status lets the people who run the offer do (the pages ask this rather
        than restate the lifecycle)."""
        return OFFER_ACTIONS.get(OfferStatus(self.status), frozenset())

    def __repr__(self) -> str:
        return f"<Offer {self.reference} {self.status}>"


class ShareLink(Base):
    """An agent's personal, trackable link to an offer for one channel (``/r/<code>``).

    The counters are kept in step with the Visit rows so that pages never scan visits.
    """

    __tablename__ = "share_link"
    __table_args__ = (
        UniqueConstraint("offer_id", "agent_id", "channel"),
        CheckConstraint(_in("channel", Channel), name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(12))
    parent_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("share_link.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    visits_count: Mapped[int] = mapped_column(Integer, default=0)
    people_count: Mapped[int] = mapped_column(Integer, default=0)
    bot_count: Mapped[int] = mapped_column(Integer, default=0)

    offer: Mapped[Offer] = relationship(back_populates="share_links")
    agent: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ShareLink {self.code} {self.channel}>"


class Visit(Base):
    """One arrival on a share link. The visitor is only a keyed, daily-rotated hash."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_link_time", "link_id", "occurred_at"),
        Index("ix_visit_time", "occurred_at"),
        Index("ix_visit_link_visitor", "link_id", "visitor_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_link.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    visitor_hash: Mapped[str] = mapped_column(String(64))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_new_person: Mapped[bool] = mapped_column(Boolean, default=False)
    referrer_host: Mapped[str | None] = mapped_column(String(255))

    link: Mapped[ShareLink] = relationship()


class VisitDay(Base):
    """The visits of one share link on one day, rolled up for the analytics.

    The day is a day of the organisation's time zone, the one in :class:`VisitDayZone`;
    ``day`` counts days from Monday 29 December 1969, so ``day // 7`` is a week. A visit is
    recorded when it happens, so a complete day never changes: the worker adds the days
    missing here and re-counts the last one (:mod:`referral.analytics.rollup`); the pages
    only read it.
    """

    __tablename__ = "visit_day"
    __table_args__ = (Index("ix_visit_day_day", "day", "link_id", "people", "bots"),)

    link_id: Mapped[int] = mapped_column(
        ForeignKey("share_link.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(Integer, default=0)
    bots: Mapped[int] = mapped_column(Integer, default=0)


class VisitDayZone(Base):
    """The time zone whose days ``visit_day`` counts (one row; none before the first
    roll-up). The roll-up is rebuilt when the organisation's time zone is another."""

    __tablename__ = "visit_day_zone"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Every visit recorded before this instant is in ``visit_day`` (the pages say so).
    rolled_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VisitJournalMark(Base):
    """How much of one visit journal file has been loaded into ``visit`` (its byte offset).

    Updated in the transaction that loads the records, so that a crash between that commit
    and the file's deletion never loads a record twice (see :mod:`referral.sharing.visit_journal`).
    """

    __tablename__ = "visit_journal_mark"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    loaded_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


# --- candidates and applications -------------------------------------------------------------


class Candidate(Base):
    """A person who applied or was referred; one per normalised e-mail."""

    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    city: Mapped[str] = mapped_column(String(120), default="")
    linkedin_url: Mapped[str | None] = mapped_column(String(300))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_at: Mapped[datetime | None]
    talent_pool_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    retention_until: Mapped[date | None] = mapped_column(Date)
    erased_at: Mapped[datetime | None]  # personal data erased (referral.privacy.erasure)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cv_files: Mapped[list[CVFile]] = relationship(
        back_populates="candidate", order_by="CVFile.uploaded_at"
    )
    applications: Mapped[list[Application]] = relationship(
        back_populates="candidate", foreign_keys="Application.candidate_id"
    )

    def __repr__(self) -> str:
        return f"<Candidate {self.id}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CVFile(Base):
    """One uploaded CV version, stored outside the static folder under a random name."""

    __tablename__ = "cv_file"
    __table_args__ = (CheckConstraint(_in("text_status", CvTextStatus), name="text_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    text_status: Mapped[CvTextStatus] = mapped_column(
        StrEnumType(CvTextStatus, 10), default=CvTextStatus.OK
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    candidate: Mapped[Candidate] = relationship(back_populates="cv_files")

    @property
    def text_unreadable(self) -> bool:
        """Nothing could be read in the file (a scan without text layer): the pages say so,
        and scoring does not rank it on an empty text."""
        return self.text_status == CvTextStatus.NO_TEXT


class Referral(Base):
    """An agent's direct recommendation of a named person for an offer."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(_in("status", ReferralStatus), name="status"),
        Index("ix_referral_offer_email", "offer_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate.id", ondelete="SET NULL")
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    relationship_note: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ReferralStatus] = mapped_column(
        StrEnumType(ReferralStatus, 12), default=ReferralStatus.INVITED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    offer: Mapped[Offer] = relationship()
    agent: Mapped[User] = relationship()
    candidate: Mapped[Candidate | None] = relationship()


class Application(Base):
    """A candidate's application to an offer (one at most), its source, credit and score."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("candidate_id", "offer_id"),
        CheckConstraint(_in("status", ApplicationStatus), name="status"),
        CheckConstraint(_in("source", ApplicationSource), name="source"),
        Index("ix_application_offer_score", "offer_id", "score"),
        Index("ix_application_created", "created_at"),
        Index("ix_application_agent", "credited_agent_id", "created_at"),
        # Analytics: first application per offer (and per channel: the link and source are
        # in the index too); the cohort scans read only the index.
        Index(
            "ix_application_offer_created",
            "offer_id",
            "created_at",
            "share_link_id",
            "source",
            "credited_agent_id",
        ),
        Index(
            "ix_application_cohort",
            "created_at",
            "offer_id",
            "source",
            "share_link_id",
            "credited_agent_id",
            "status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    cv_file_id: Mapped[int | None] = mapped_column(ForeignKey("cv_file.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(12), default=ApplicationSource.CAREERS.value)
    share_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("share_link.id", ondelete="SET NULL"), index=True
    )
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id", ondelete="SET NULL"))
    credited_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    attribution_reason: Mapped[str] = mapped_column(String(300), default="")
    internal_mobility: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ApplicationStatus] = mapped_column(
        StrEnumType(ApplicationStatus, 12), default=ApplicationStatus.NEW
    )
    rejection_reason: Mapped[str | None] = mapped_column(String(60))
    score: Mapped[float | None] = mapped_column(Float)
    score_explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scored_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    candidate: Mapped[Candidate] = relationship(
        back_populates="applications", foreign_keys=[candidate_id]
    )
    offer: Mapped[Offer] = relationship(back_populates="applications")
    cv_file: Mapped[CVFile | None] = relationship()
    share_link: Mapped[ShareLink | None] = relationship()
    referral: Mapped[Referral | None] = relationship()
    credited_agent: Mapped[User | None] = relationship()
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="application", order_by="StatusChange.at"
    )

    @property
    def is_open(self) -> bool:
        """Still in the process (new to offer made): it can be moved forward, withdrawn, given
        an interview; hired, rejected and withdrawn applications are closed."""
        return self.status in OPEN_APPLICATION_STATUSES

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.status}>"


class StatusChange(Base):
    """One move of an application through the pipeline."""

    __tablename__ = "status_change"
    # Analytics: the furthest stage each application reached, read from the index alone.
    __table_args__ = (Index("ix_status_change_reached", "application_id", "at", "to_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ApplicationStatus | None] = mapped_column(
        StrEnumType(ApplicationStatus, 12)
    )
    to_status: Mapped[ApplicationStatus] = mapped_column(StrEnumType(ApplicationStatus, 12))
    reason: Mapped[str | None] = mapped_column(String(200))
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="history")
    by_user: Mapped[User | None] = relationship()


class CandidateNote(Base):
    """A recruiter's or hiring manager's note on a candidate (never shown to agents)."""

    __tablename__ = "candidate_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE")
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class DuplicateFlag(Base):
    """Two candidates that are likely the same person, for a recruiter to merge or dismiss."""

    __tablename__ = "duplicate_flag"
    __table_args__ = (UniqueConstraint("candidate_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(20))

    candidate: Mapped[Candidate] = relationship(foreign_keys=[candidate_id])
    other: Mapped[Candidate] = relationship(foreign_keys=[other_id])


# --- credits ----------------------------------------------------------------------------------


class CreditRule(Base):
    """Points awarded for a milestone; editable by admins."""

    __tablename__ = "credit_rule"
    __table_args__ = (CheckConstraint(_in("milestone", Milestone), name="milestone"),)

    milestone: Mapped[str] = mapped_column(String(12), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CreditEvent(Base):
    """A ledger line: points for an agent for one milestone of one application.

    Never deleted: a move back writes a compensating negative line (``reverses_id``). The
    unique key (application, milestone, round, reversal) makes a concurrent double credit
    impossible; a milestone reached again after a reversal opens the next round.
    """

    __tablename__ = "credit_event"
    __table_args__ = (
        UniqueConstraint("application_id", "milestone", "round", "is_reversal"),
        CheckConstraint(_in("milestone", Milestone), name="milestone"),
        CheckConstraint(_in("state", CreditState), name="state"),
        Index("ix_credit_agent_time", "agent_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    milestone: Mapped[str] = mapped_column(String(12))
    round: Mapped[int] = mapped_column(Integer, default=0)
    is_reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    points: Mapped[int] = mapped_column(Integer)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_event.id", ondelete="SET NULL")
    )
    state: Mapped[CreditState] = mapped_column(
        StrEnumType(CreditState, 10), default=CreditState.ELIGIBLE
    )
    eligible_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship()
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])


# --- notifications ----------------------------------------------------------------------------


class Notification(Base):
    """An outbox row, written in the same transaction as the event that causes it."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint(_in("status", NotificationStatus), name="status"),
        Index("ix_notification_due", "status", "next_attempt_at"),
        Index("ix_notification_inbox", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE")
    )
    recipient_email: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    link_url: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[NotificationStatus] = mapped_column(
        StrEnumType(NotificationStatus, 10), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification.id", ondelete="SET NULL")
    )
    # The candidate the message is about (it names them): erasing them rewrites it.
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recipient: Mapped[User | None] = relationship()
    attachments: Mapped[list[NotificationAttachment]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="NotificationAttachment.id"
    )

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} {self.status}>"


class NotificationPreference(Base):
    """Per user and kind: immediate, daily digest, or off."""

    __tablename__ = "notification_preference"
    __table_args__ = (CheckConstraint(_in("mode", ("immediate", "digest", "off")), name="mode"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))


# --- trainings and audit ------------------------------------------------------------------------


class Training(Base):
    """An ambassador training session and its attendees."""

    __tablename__ = "training"
    __table_args__ = (CheckConstraint(_in("audience", TrainingAudience), name="audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(12))
    held_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    attendees: Mapped[list[User]] = relationship(secondary="training_attendee")


class TrainingAttendee(Base):
    __tablename__ = "training_attendee"

    training_id: Mapped[int] = mapped_column(
        ForeignKey("training.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )


class AuditEvent(Base):
    """Who did what, when: pipeline moves, merges, role changes, payments."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


# --- LinkedIn activity (voluntary, per agent) ---------------------------------------------------


class LinkedInConsent(Base):
    """An agent's consent to keep weekly counts read from their own LinkedIn archive."""

    __tablename__ = "linkedin_consent"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    # The agent's own profile URL, normalised; how colleagues' archives recognise them.
    profile_url: Mapped[str | None] = mapped_column(String(300), unique=True)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkedInWeek(Base):
    """One agent's LinkedIn counts for one local week (Monday), from their latest archive."""

    __tablename__ = "linkedin_week"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    connections: Mapped[int] = mapped_column(Integer, default=0)
    colleague_connections: Mapped[int] = mapped_column(Integer, default=0)
    posts: Mapped[int] = mapped_column(Integer, default=0)
    posts_with_link: Mapped[int] = mapped_column(Integer, default=0)
    reactions: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    colleague_reactions: Mapped[int] = mapped_column(Integer, default=0)
    colleague_comments: Mapped[int] = mapped_column(Integer, default=0)


class LinkedInEdge(Base):
    """Who connected with or reacted to whom, in which week: two consenting colleagues only."""

    __tablename__ = "linkedin_edge"
    __table_args__ = (
        CheckConstraint("kind IN ('connection', 'reaction', 'comment')", name="kind"),
    )

    source_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)


class LinkedInPost(Base):
    """A LinkedIn post an agent declared ("I posted it") for an offer, with its counts."""

    __tablename__ = "linkedin_post"
    __table_args__ = (UniqueConstraint("user_id", "url", name="uq_linkedin_post_user_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    share_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("share_link.id", ondelete="SET NULL")
    )
    url: Mapped[str] = mapped_column(String(500))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    impressions: Mapped[int | None] = mapped_column(Integer)
    reactions: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    reposts: Mapped[int | None] = mapped_column(Integer)
    counts_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offer: Mapped[Offer] = relationship()


class CvEmbedding(Base):
    """The sentence embeddings of one CV version under one model (name and version): row 0
    is the CV's text (its first 512 tokens), the next rows its past job titles, as float32
    bytes. Written by the worker (or ``relais reindex``), never in the candidate's request;
    erased with the CV."""

    __tablename__ = "cv_embedding"
    __table_args__ = (UniqueConstraint("cv_file_id", "model", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cv_file_id: Mapped[int] = mapped_column(ForeignKey("cv_file.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(40))
    dim: Mapped[int] = mapped_column(Integer)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<CvEmbedding cv={self.cv_file_id} {self.model} {self.version}>"


class OfferEmbedding(Base):
    """The sentence embeddings of one offer under one model: row 0 its criteria's text, row
    1 its title, for the texts whose digest is ``digest`` (an edited offer is embedded
    again)."""

    __tablename__ = "offer_embedding"
    __table_args__ = (UniqueConstraint("offer_id", "model", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<OfferEmbedding offer={self.offer_id} {self.model} {self.version}>"


# --- candidate messages and interviews ------------------------------------------------------


class NotificationAttachment(Base):
    """A file sent with an outbox row (an interview's calendar event); goes with its row."""

    __tablename__ = "notification_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(100))  # e.g. "text/calendar; method=REQUEST"
    content: Mapped[str] = mapped_column(Text)


class CandidateMessageTemplate(Base):
    """An admin's wording of one candidate e-mail in one language; without a row, the
    wording shipped in :mod:`referral.notifications.candidate_messages` applies."""

    __tablename__ = "candidate_message_template"
    __table_args__ = (UniqueConstraint("kind", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    locale: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class InterviewStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Interview(Base):
    """An interview of an application: when, where, the panel; ``uid`` and ``sequence`` make
    its calendar event (each change sends the same event again with a higher sequence)."""

    __tablename__ = "interview"
    __table_args__ = (CheckConstraint(_in("status", InterviewStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[InterviewStatus] = mapped_column(
        StrEnumType(InterviewStatus, 10), default=InterviewStatus.SCHEDULED
    )
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(300), default="")
    video_url: Mapped[str | None] = mapped_column(String(500))
    panel: Mapped[list[str]] = mapped_column(JSON, default=list)
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship()
    organizer: Mapped[User | None] = relationship()

    @property
    def is_cancelled(self) -> bool:
        """A cancelled interview is kept (its calendar event was withdrawn) but not changed again."""
        return self.status == InterviewStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<Interview {self.id} {self.status} seq={self.sequence}>"


class InvitationBatch(Base):
    """Invitations an admin asked for at once (an import, "send again"): the request records
    the batch and marks the accounts, the worker queues the e-mails a batch at a time
    (referral.people.invitations); ``sent`` counts those queued so far, for the progress shown. Who
    asked is in the audit log."""

    __tablename__ = "invitation_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    # The addresses the e-mails link to, given by the web layer that recorded the batch: the
    # page that sets a password (the token is appended), or the sign-in page when the staff
    # sign in with the organisation's identity provider (then no token is issued).
    set_password_url: Mapped[str] = mapped_column(String(500), default="")
    sign_in_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
