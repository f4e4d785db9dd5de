"""Demo data for a French regional administration, loaded by ``relais seed`` and ``relais demo``.

What is loaded: the directions tree (``directions.json``), about 60 members of staff
(``staff.csv``, in the staff import format, through the staff import itself), 15 offers with
the public-service fields (``offers.json``), 40 candidates whose CVs are real PDF, DOCX and TXT
files (``candidates.json``, ``cvs/``, made by ``make_cvs.py``), two ambassador trainings, and
six months of activity: share links, visits (people and link-preview bots), direct referrals,
applications moved through the pipeline with their history, and the agents' credits.

Idempotent: every row has a natural key (direction code, e-mail, offer reference, candidate
e-mail, link code, referral token, training title, (candidate, offer)); a second load finds them
and changes nothing. Dates are relative to ``now`` so the demo always looks recent; the activity
comes from a seeded random generator, so the same ``now`` gives the same data.

The trainings make a visible difference: their attendees share much more (more links, more
people reached, more applications) in the eight weeks after their training than before, while
the others stay flat.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from referral.analytics import rollup
from referral.applications import credits, cvtext, status_history
from referral.config import Settings
from referral.linkedin import activity as linkedin
from referral.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    Candidate,
    CreditEvent,
    CreditRule,
    CVFile,
    Direction,
    Offer,
    OfferStatus,
    Referral,
    ReferralStatus,
    ShareLink,
    StatusChange,
    Training,
    TrainingAttendee,
    TrainingAudience,
    User,
    Visit,
    utcnow,
)
from referral.offers import scoring
from referral.people import staff_import, users
from referral.unit_of_work import UnitOfWork, committing

HERE = Path(__file__).resolve().parent
DEMO_PASSWORD = "relais-demo-2026"
DEMO_ACCOUNTS = [
    ("admin", "nathalie.roussel@region.example"),
    ("recruiter", "antoine.girard@region.example"),
    ("manager", "claire.martin@region.example"),
    ("agent", "karim.benali@region.example"),
]
SEED = 2026
TABLES = {
    "direction": Direction,
    "user_account": User,
    "offer": Offer,
    "candidate": Candidate,
    "cv_file": CVFile,
    "training": Training,
    "training_attendee": TrainingAttendee,
    "share_link": ShareLink,
    "visit": Visit,
    "referral": Referral,
    "application": Application,
    "status_change": StatusChange,
    "credit_event": CreditEvent,
    "credit_rule": CreditRule,
}
CHANNELS = [
    ("linkedin", 50),
    ("email", 18),
    ("whatsapp", 10),
    ("copy", 10),
    ("qr", 5),
    ("facebook", 4),
    ("x", 3),
]
CHANNEL_NAMES = {
    "linkedin": "LinkedIn",
    "email": "e-mail",
    "whatsapp": "WhatsApp",
    "x": "X",
    "facebook": "Facebook",
    "copy": "copied",
    "qr": "QR code",
}
BOTS = {"linkedin": "linkedin.com", "whatsapp": None, "facebook": "facebook.com", "x": "t.co"}
REFERRERS = {
    "linkedin": "www.linkedin.com",
    "email": None,
    "whatsapp": None,
    "copy": None,
    "qr": None,
    "facebook": "m.facebook.com",
    "x": "t.co",
}
BASE_RATE = 0.10  # share links a week, for everyone
AFTER_RATE = 0.8  # in the eight weeks after an attendee's training
LATER_RATE = 0.4  # after those eight weeks
TRAINING_EFFECT = timedelta(weeks=8)
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# Pipeline paths: the statuses an application went through, after "new".
PATHS = [
    ([], 22),
    (["screening"], 18),
    (["screening", "interview"], 14),
    (["screening", "interview", "offer"], 5),
    (["rejected"], 14),
    (["screening", "rejected"], 12),
    (["screening", "interview", "rejected"], 8),
    (["withdrawn"], 4),
    (["screening", "withdrawn"], 3),
]


def demo_accounts() -> list[tuple[str, str]]:
    """One sign-in per role: (role, e-mail); the password is DEMO_PASSWORD."""
    return list(DEMO_ACCOUNTS)


@dataclass
class SeedReport:
    """Rows per table before and after the load."""

    before: dict[str, int]
    after: dict[str, int]
    skipped: bool = False

    @property
    def added(self) -> dict[str, int]:
        return {t: self.after[t] - self.before[t] for t in self.after}

    def summary(self) -> str:
        if self.skipped:
            return "The database already has data: nothing seeded."
        lines = [
            f"{table:<18} {self.after[table]:>6} rows (+{self.added[table]})"
            for table in self.after
        ]
        return "\n".join(lines)


def table_counts(session: Session) -> dict[str, int]:
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in TABLES.items()
    }


def load(
    session_factory: Callable[[], Session],
    settings: Settings,
    only_if_empty: bool = False,
    now: datetime | None = None,
) -> SeedReport:
    """Load the demo data in one transaction; idempotent (see the module's docstring).

    With ``only_if_empty``, a database that has any member of staff is left alone.
    """
    now = (now or utcnow()).astimezone(UTC)
    with session_factory() as session:
        before = table_counts(session)
        if only_if_empty and before["user_account"]:
            return SeedReport(before, before, skipped=True)
        # One unit of work, as for the app's use cases: all of it or nothing.
        with committing(UnitOfWork(session, settings=settings, clock=lambda: now)) as uow:
            _Loader(uow).run()
            # Derived data: the visits' daily roll-up and the match scores.
            # The roll-up holds every seeded visit: it is complete up to the last one (the
            # same instant when the seeds load again, so a second load changes nothing).
            last_visit = session.scalar(select(func.max(Visit.occurred_at)))
            rollup.refresh_visit_days(
                session, settings.timezone, rebuild=True, now=last_visit or now
            )
            scoring.score_unscored(session, settings, now)
        after = table_counts(session)
    return SeedReport(before, after)


def _read_json(name: str):
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _weighted(rng: random.Random, items: list[tuple]) -> object:
    return rng.choices([i[0] for i in items], weights=[i[1] for i in items])[0]


@dataclass
class _Link:
    code: str
    offer_ref: str
    agent_email: str
    channel: str
    created_at: datetime
    visits: list[tuple[datetime, str, bool, bool, str | None]] = field(default_factory=list)


class _Loader:
    def __init__(self, uow: UnitOfWork):
        if uow.settings is None:
            raise ValueError("the seeds need the settings (probation, windows, reasons)")
        self.uow = uow
        self.session = uow.session
        self.settings = uow.settings
        self.now = uow.now()
        self.today = self.now.date()
        self.rng = random.Random(SEED)
        self.offers_data = _read_json("offers.json")
        self.candidates_data = _read_json("candidates.json")

    def run(self) -> None:
        self.directions()
        self.staff()
        self.credit_rules()
        self.offers()
        self.trainings()
        self.linkedin_activity()
        plan_links = self.plan_links()
        plan_apps = self.plan_applications(plan_links)
        self.candidates(plan_apps)
        self.links(plan_links)
        self.applications(plan_apps)

    # --- organisation -------------------------------------------------------------------------

    def directions(self) -> None:
        existing = {d.code: d for d in self.session.scalars(select(Direction))}
        for row in _read_json("directions.json"):
            if row["code"] in existing:
                continue
            direction = Direction(
                code=row["code"], name=row["name"], parent=existing.get(row["parent"] or "")
            )
            self.session.add(direction)
            existing[row["code"]] = direction
        self.session.flush()

    def staff(self) -> None:
        data = (HERE / "staff.csv").read_bytes()
        # The dry run first, so that a second load leaves no trace (not even its audit line).
        preview = staff_import.import_accounts(self.uow, data, dry_run=True)
        if preview.created or preview.updated:
            staff_import.import_accounts(self.uow, data)
        rows = staff_import.parse(self.session, data)
        self.staff_emails = [r.email for r in rows]
        self.users = {
            u.email: u
            for u in self.session.scalars(select(User).where(User.email.in_(self.staff_emails)))
        }
        without = [u for u in self.users.values() if u.password_hash is None]
        if without:
            # One hash for every demo account: it is the same public demo password.
            hashed = users.hash_password(DEMO_PASSWORD)
            for user in without:
                user.password_hash = hashed
        self.session.flush()

    def credit_rules(self) -> None:
        # The application's defaults (an admin changes them on the credits page).
        credits.ensure_rules(self.session)

    def offers(self) -> None:
        directions = {d.code: d for d in self.session.scalars(select(Direction))}
        existing = {o.reference: o for o in self.session.scalars(select(Offer))}
        self.offer_by_ref: dict[str, Offer] = {}
        self.offer_window: dict[str, tuple[datetime, datetime]] = {}
        for row in self.offers_data:
            published_at = None
            closed_at = None
            if row["status"] != OfferStatus.DRAFT.value:
                published_at = self.now - timedelta(days=row["published_days_ago"], hours=3)
            if row["status"] in (OfferStatus.CLOSED.value, OfferStatus.FILLED.value):
                closed_at = self.now + timedelta(days=row["closing_in_days"])
            if published_at is not None:
                self.offer_window[row["reference"]] = (published_at, closed_at or self.now)
            offer = existing.get(row["reference"])
            if offer is None:
                manager = self.users[row["hiring_manager"]]
                offer = Offer(
                    reference=row["reference"],
                    title=row["title"],
                    direction=directions[row["direction"]],
                    hiring_manager=manager,
                    recruiter=self.users[row["recruiter"]],
                    created_by_id=manager.id,
                    versant=row["versant"],
                    category=row["category"],
                    metier=row["metier"],
                    employment_nature=row["employment_nature"],
                    contract_type=row["contract_type"],
                    contract_duration_months=row["contract_duration_months"],
                    location=row["location"],
                    remote_work=row["remote_work"],
                    working_time=row["working_time"],
                    education_level=row["education_level"],
                    min_experience_years=row["min_experience_years"],
                    description=row["description"],
                    missions=row["missions"],
                    profile=row["profile"],
                    required_skills=row["required_skills"],
                    nice_skills=row["nice_skills"],
                    languages=row["languages"],
                    salary=row["salary"],
                    vacancy_date=self.today + timedelta(days=row["vacancy_in_days"]),
                    closing_date=self.today + timedelta(days=row["closing_in_days"]),
                    positions=row["positions"],
                    status=row["status"],
                    published_at=published_at,
                    closed_at=closed_at,
                    created_at=(published_at or self.now) - timedelta(days=5),
                    updated_at=closed_at or published_at or self.now,
                )
                self.session.add(offer)
            self.offer_by_ref[row["reference"]] = offer
        self.session.flush()

    def trainings(self) -> None:
        """The directors' training (~4 months ago), the agents' (~2 months ago) and a second
        agents' training held ~3.5 weeks ago, still in progress (2 or 3 of its 8 weeks)."""
        managers = sorted(e for e in self.staff_emails if self.users[e].has_role("manager"))
        agents = sorted(
            e
            for e in self.staff_emails
            if not self.users[e].has_role("manager", "admin", "recruiter")
        )
        rng = random.Random(SEED + 1)
        directors = rng.sample(managers, k=min(len(managers), 12))
        trained_agents = rng.sample(agents, k=min(len(agents), 20))
        untrained = [e for e in agents if e not in trained_agents]
        second_cohort = random.Random(SEED + 3).sample(untrained, k=min(len(untrained), 15))
        self.training_of: dict[str, datetime] = {}
        specs = [
            (
                "Ambassadeurs de la marque employeur : encadrement",
                TrainingAudience.DIRECTORS.value,
                (self.now - timedelta(days=120)).date(),
                directors,
                "Les directeurs et DGA : partager les offres sur LinkedIn, relayer les publications.",
            ),
            (
                "Ambassadeurs de la marque employeur : agents",
                TrainingAudience.AGENTS.value,
                (self.now - timedelta(days=60)).date(),
                trained_agents,
                "Atelier pratique : profil LinkedIn, partage des offres, cooptation.",
            ),
            (
                "Ambassadeurs de la marque employeur : agents, deuxième session",
                TrainingAudience.AGENTS.value,
                (self.now - timedelta(days=24)).date(),
                second_cohort,
                "Deuxième session de l'atelier pratique, pour les agents qui n'avaient pas pu venir.",
            ),
        ]
        existing = {t.title: t for t in self.session.scalars(select(Training))}
        for title, audience, held_on, emails, notes in specs:
            training = existing.get(title)
            if training is None:
                training = Training(title=title, audience=audience, held_on=held_on, notes=notes)
                training.attendees = [self.users[e] for e in emails]
                self.session.add(training)
            start = datetime.combine(training.held_on, datetime.min.time(), tzinfo=UTC)
            for user in training.attendees:
                self.training_of.setdefault(user.email, start)
        self.session.flush()

    # --- activity plan (pure: depends on the data files, ``now`` and the seed) ----------------

    def linkedin_activity(self) -> None:
        """Consent and a LinkedIn archive for part of the staff (``make_linkedin_archives``),
        imported through the same use case as the page; their trainings show in the figures."""
        from referral.models import LinkedInConsent
        from seeds import make_linkedin_archives as archives

        rng = random.Random(archives.SEED)
        chosen = [e for e in sorted(self.staff_emails) if rng.random() < archives.SHARE]
        done = set(self.session.scalars(select(LinkedInConsent.user_id)))
        if all(self.users[e].id in done for e in chosen):
            return
        for email in chosen:
            linkedin.give_consent(
                self.session, self.users[email], archives.profile_url(email), now=self.now
            )
        people = {
            e: (u.first_name, u.last_name, archives.profile_url(e)) for e, u in self.users.items()
        }
        base_url = self.settings.base_url.rstrip("/")
        for email in chosen:
            trained = self.training_of.get(email)
            others = [p for e, p in sorted(people.items()) if e != email]
            data = archives.archive(
                rng, self.now.date(), trained.date() if trained else None, others, base_url
            )
            linkedin.import_archive(
                self.session,
                self.users[email],
                data,
                relais_prefix=base_url + "/r/",
                now=self.now,
            )

    def _rate(self, email: str, at: datetime) -> float:
        trained = self.training_of.get(email)
        if trained is None or at < trained:
            return BASE_RATE
        return AFTER_RATE if at < trained + TRAINING_EFFECT else LATER_RATE

    def _code(self, taken: set[str]) -> str:
        while True:
            code = "".join(self.rng.choice(ALPHABET) for _ in range(10))
            if code not in taken:
                taken.add(code)
                return code

    def plan_links(self) -> list[_Link]:
        rng = self.rng
        start = self.now - timedelta(days=182)
        links: list[_Link] = []
        used: set[tuple[str, str, str]] = set()
        codes: set[str] = set()
        for week in range(26):
            week_start = start + timedelta(weeks=week)
            for email in self.staff_emails:
                for _ in range(_poisson(rng, self._rate(email, week_start))):
                    at = week_start + timedelta(seconds=rng.randrange(7 * 86400))
                    open_refs = [
                        ref
                        for ref, (opened, closed) in self.offer_window.items()
                        if opened <= at < closed
                    ]
                    if at >= self.now or not open_refs:
                        continue
                    ref = rng.choice(sorted(open_refs))
                    channel = _weighted(rng, CHANNELS)
                    if (ref, email, channel) in used:
                        continue
                    used.add((ref, email, channel))
                    link = _Link(self._code(codes), ref, email, channel, at)
                    self._plan_visits(link)
                    links.append(link)
        return links

    def _plan_visits(self, link: _Link) -> None:
        rng = self.rng
        trained = self.training_of.get(link.agent_email)
        boosted = trained is not None and link.created_at >= trained
        people = rng.randint(2, 8) if boosted else rng.randint(0, 3)
        end = min(self.now, self.offer_window[link.offer_ref][1])
        if link.channel in BOTS:  # the link preview of the social network
            bot_host = BOTS[link.channel]
            for _ in range(rng.randint(1, 2)):
                at = link.created_at + timedelta(seconds=rng.randint(5, 300))
                if at < end:
                    link.visits.append((at, f"bot-{link.channel}", True, False, bot_host))
        for person in range(people):
            at = link.created_at + timedelta(hours=rng.expovariate(1 / 30))
            if at >= end:
                continue
            visitor = hashlib.sha256(f"{link.code}:{person}".encode()).hexdigest()
            link.visits.append((at, visitor, False, True, REFERRERS[link.channel]))
            if rng.random() < 0.2:  # the same person again a few hours later
                again = at + timedelta(hours=rng.uniform(1, 20))
                if again < end:
                    link.visits.append((again, visitor, False, False, REFERRERS[link.channel]))
        link.visits.sort()

    def plan_applications(self, links: list[_Link]) -> list[dict]:
        rng = random.Random(SEED + 2)
        by_offer: dict[str, list[_Link]] = {}
        for link in links:
            if any(not bot and new for _, _, bot, new, _ in link.visits):
                by_offer.setdefault(link.offer_ref, []).append(link)
        plans: list[dict] = []
        for cand in self.candidates_data:
            for ref in cand["targets"]:
                if ref not in self.offer_window:
                    continue
                opened, closed = self.offer_window[ref]
                roll = rng.random()
                plan = {"candidate": cand, "offer": ref}
                candidates_links = by_offer.get(ref, [])
                if roll < 0.68 and candidates_links:
                    weights = [
                        sum(1 for v in link.visits if v[3]) * (1 + len(link.visits) / 10)
                        for link in candidates_links
                    ]
                    link = rng.choices(candidates_links, weights=weights)[0]
                    people = [v for v in link.visits if v[3]]
                    visit_at = rng.choice(people)[0]
                    delay = timedelta(minutes=rng.randint(8, 90))
                    if rng.random() < 0.3:
                        delay += timedelta(days=rng.randint(1, 6))
                    applied = min(visit_at + delay, closed - timedelta(minutes=5))
                    days = (applied.date() - visit_at.date()).days
                    channel = CHANNEL_NAMES[link.channel]
                    agent = self.users[link.agent_email].full_name
                    if days == 0:
                        reason = f"{channel} link of {agent} visited today"
                    elif days == 1:
                        reason = f"{channel} link of {agent} visited 1 day before"
                    else:
                        reason = f"{channel} link of {agent} visited {days} days before"
                    plan.update(
                        source=ApplicationSource.SHARE_LINK.value,
                        link=link.code,
                        agent=link.agent_email,
                        at=applied,
                        reason=reason,
                    )
                elif roll < 0.85:
                    agent = rng.choice(sorted(self.training_of) or self.staff_emails)
                    span = (closed - opened).total_seconds()
                    at = opened + timedelta(seconds=rng.uniform(0.1, 0.9) * span)
                    plan.update(
                        source=ApplicationSource.REFERRAL.value,
                        agent=agent,
                        at=at,
                        referred_at=at - timedelta(days=rng.randint(1, 5), hours=2),
                        token=hashlib.sha256(
                            f"seed-referral:{cand['email']}:{ref}".encode()
                        ).hexdigest()[:40],
                        reason=f"direct referral by {self.users[agent].full_name}",
                    )
                    if plan["referred_at"] < opened:
                        plan["referred_at"] = opened
                else:
                    span = (closed - opened).total_seconds()
                    at = opened + timedelta(seconds=rng.uniform(0.05, 0.95) * span)
                    plan.update(source=ApplicationSource.CAREERS.value, at=at, reason="no referral")
                plans.append(plan)
        self._plan_pipeline(plans, rng)
        return plans

    def _plan_pipeline(self, plans: list[dict], rng: random.Random) -> None:
        """Statuses with their dates; the filled offer has its hire."""
        reasons = self.settings.rejection_reasons or ("profile",)
        filled = {r["reference"] for r in self.offers_data if r["status"] == "filled"}
        hired_done: set[str] = set()
        for plan in sorted(plans, key=lambda p: p["at"]):
            ref = plan["offer"]
            if ref in filled and ref not in hired_done:
                path = ["screening", "interview", "offer", "hired"]
                hired_done.add(ref)
            elif ref in filled:
                path = _weighted(rng, [(["rejected"], 2), (["screening", "rejected"], 2)])
            else:
                path = _weighted(rng, PATHS)
            moments = []
            at = plan["at"]
            limit = self.now - timedelta(hours=1)
            for status in path:
                at = at + timedelta(days=rng.randint(2, 9), hours=rng.randint(1, 6))
                if at >= limit:
                    break
                moments.append((status, at))
            if (
                ref in filled
                and path[-1] == "rejected"
                and (not moments or moments[-1][0] != "rejected")
            ):
                moments = [("rejected", min(plan["at"] + timedelta(days=1), limit))]
            plan["moves"] = moments
            plan["rejection_reason"] = (
                "position_filled"
                if ref in filled
                else rng.choice([r for r in reasons if r != "position_filled"] or list(reasons))
            )

    # --- writing ------------------------------------------------------------------------------

    def candidates(self, plans: list[dict]) -> None:
        first_at: dict[str, datetime] = {}
        for plan in plans:
            email = plan["candidate"]["email"]
            first_at[email] = min(first_at.get(email, plan["at"]), plan["at"])
        existing = {
            c.email: c
            for c in self.session.scalars(
                select(Candidate).where(
                    Candidate.email.in_([c["email"] for c in self.candidates_data])
                )
            )
        }
        uploads = self.settings.uploads_path
        uploads.mkdir(parents=True, exist_ok=True)
        max_bytes = int(self.settings.max_upload_mb * 1024 * 1024)
        self.candidate_by_email: dict[str, Candidate] = {}
        for row in self.candidates_data:
            candidate = existing.get(row["email"])
            if candidate is None:
                at = first_at.get(row["email"], self.now - timedelta(days=30))
                candidate = Candidate(
                    email=row["email"],
                    first_name=row["first_name"],
                    last_name=row["last_name"],
                    phone=row["phone"].replace(" ", ""),
                    city=row["city"],
                    linkedin_url=row["linkedin_url"],
                    skills=row["skills"],
                    consent_at=at,
                    talent_pool_consent=hashlib.sha256(row["email"].encode()).digest()[0] % 3 != 0,
                    retention_until=_add_months(at.date(), self.settings.retention_months),
                    created_at=at,
                    updated_at=at,
                )
                data, extracted = _cv(row["cv"], max_bytes)
                suffix = Path(row["cv"]).suffix
                stored = f"{secrets.token_hex(16)}{suffix}"
                (uploads / stored).write_bytes(data)
                candidate.cv_files.append(
                    CVFile(
                        stored_name=stored,
                        original_name=f"CV {row['first_name']} {row['last_name']}{suffix}",
                        mime_type=extracted.mime_type,
                        size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(),
                        text=extracted.text,
                        text_status=extracted.text_status,
                        uploaded_at=at,
                    )
                )
                self.session.add(candidate)
            self.candidate_by_email[row["email"]] = candidate
        self.session.flush()

    def links(self, plans: list[_Link]) -> None:
        existing_codes = set(self.session.scalars(select(ShareLink.code)))
        existing_keys = set(
            self.session.execute(select(ShareLink.offer_id, ShareLink.agent_id, ShareLink.channel))
        )
        self.link_by_code: dict[str, ShareLink] = {
            link.code: link
            for link in self.session.scalars(
                select(ShareLink).where(ShareLink.code.in_([p.code for p in plans]))
            )
        }
        new_links: list[tuple[ShareLink, _Link]] = []
        for plan in plans:
            if plan.code in existing_codes:
                continue
            offer = self.offer_by_ref[plan.offer_ref]
            agent = self.users[plan.agent_email]
            if (offer.id, agent.id, plan.channel) in existing_keys:
                continue
            humans = [v for v in plan.visits if not v[2]]
            link = ShareLink(
                code=plan.code,
                offer_id=offer.id,
                agent_id=agent.id,
                channel=plan.channel,
                created_at=plan.created_at,
                visits_count=len(humans),
                people_count=sum(1 for v in humans if v[3]),
                bot_count=sum(1 for v in plan.visits if v[2]),
            )
            self.session.add(link)
            self.link_by_code[plan.code] = link
            new_links.append((link, plan))
        self.session.flush()
        rows = [
            {
                "link_id": link.id,
                "occurred_at": at,
                "visitor_hash": visitor,
                "is_bot": bot,
                "is_new_person": new,
                "referrer_host": host,
            }
            for link, plan in new_links
            for at, visitor, bot, new, host in plan.visits
        ]
        if rows:
            self.session.execute(insert(Visit), rows)

    def applications(self, plans: list[dict]) -> None:
        existing = set(self.session.execute(select(Application.candidate_id, Application.offer_id)))
        for plan in sorted(plans, key=lambda p: p["at"]):
            candidate = self.candidate_by_email[plan["candidate"]["email"]]
            offer = self.offer_by_ref[plan["offer"]]
            if (candidate.id, offer.id) in existing:
                continue
            if (
                plan["source"] == ApplicationSource.SHARE_LINK.value
                and plan["link"] not in self.link_by_code
            ):
                continue  # the link could not be created (taken by a real one)
            agent = self.users[plan["agent"]] if plan.get("agent") else None
            referral = None
            if plan["source"] == ApplicationSource.REFERRAL.value:
                referral = Referral(
                    offer_id=offer.id,
                    agent_id=agent.id,
                    candidate_id=candidate.id,
                    first_name=candidate.first_name,
                    last_name=candidate.last_name,
                    email=candidate.email,
                    relationship_note="ancien collègue",
                    reason="Son parcours correspond bien au poste, je le recommande.",
                    token=plan["token"],
                    status=ReferralStatus.APPLIED,
                    created_at=plan["referred_at"],
                    expires_at=plan["referred_at"]
                    + timedelta(days=self.settings.referral_window_days),
                )
                self.session.add(referral)
                self.session.flush()
            moves = plan["moves"]
            last = moves[-1][1] if moves else plan["at"]
            application = Application(
                candidate_id=candidate.id,
                offer_id=offer.id,
                cv_file_id=candidate.cv_files[0].id if candidate.cv_files else None,
                source=plan["source"],
                share_link_id=self.link_by_code[plan["link"]].id
                if plan["source"] == ApplicationSource.SHARE_LINK.value
                else None,
                referral_id=referral.id if referral else None,
                credited_agent_id=agent.id if agent else None,
                attribution_reason=plan["reason"],
                message="",
                status=ApplicationStatus.NEW.value,
                score=None,
                created_at=plan["at"],
                updated_at=last,
                status_changed_at=plan["at"],
            )
            self.session.add(application)
            self.session.flush()
            # Its history and its agent's credits, as the application writes them: the
            # arrival, then each move by the offer's recruiter.
            probation = self.settings.probation_days
            status_history.record(
                self.session,
                application,
                ApplicationStatus.NEW.value,
                at=plan["at"],
                probation_days=probation,
                first=True,
            )
            recruiter = self.session.get(User, offer.recruiter_id) if offer.recruiter_id else None
            for to_status, at in moves:
                status_history.record(
                    self.session,
                    application,
                    to_status,
                    at=at,
                    probation_days=probation,
                    by=recruiter,
                    reason=plan["rejection_reason"]
                    if to_status == ApplicationStatus.REJECTED.value
                    else None,
                )
            existing.add((candidate.id, offer.id))
        # Hire credits whose probation ended before ``now`` are eligible (as the worker does).
        credits.refresh_states(self.session, self.now)
        self.session.flush()


@lru_cache(maxsize=64)
def _cv(name: str, max_bytes: int) -> tuple[bytes, cvtext.ExtractedCV]:
    """A seed CV's bytes and text (kept: the files never change within a process)."""
    data = (HERE / "cvs" / name).read_bytes()
    return data, cvtext.extract(data, max_bytes)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))
