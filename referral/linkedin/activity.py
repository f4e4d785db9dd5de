"""LinkedIn activity: what an agent chooses to share of their own LinkedIn archive.

Relais keeps, per consenting agent and week, counts only (connections added and with
colleagues; posts and posts carrying a Relais link; reactions and comments given, and those on
colleagues' posts), plus the edges between two consenting colleagues (who connected with or
reacted to whom, in which week) and the posts an agent declares ("I posted it"). It never keeps
the names of people outside the staff, message or comment texts, or the archive itself.

Colleagues are recognised by the LinkedIn profile URL given on the consent page, else by their
name against the staff directory (exact after removing accents and case, else rapidfuzz above
:data:`NAME_THRESHOLD` with one clear winner); below that, a connection counts as an outsider.
Reactions and comments are on a colleague's post when their link is a post a consenting
colleague declared. Importing a later archive replaces the earlier figures.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rapidfuzz import fuzz, process
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from referral.analytics import MIN_GROUP
from referral.errors import InvalidInput, NotFound
from referral.linkedin.archive import Archive, read_archive
from referral.models import (
    Direction,
    LinkedInConsent,
    LinkedInEdge,
    LinkedInPost,
    LinkedInWeek,
    Offer,
    ShareLink,
    Training,
    TrainingAttendee,
    User,
    utcnow,
)

NAME_THRESHOLD = 92  # rapidfuzz token_sort_ratio, 0-100: a typo or an accent, never a guess
MEASURES = (
    "connections",
    "colleague_connections",
    "posts",
    "posts_with_link",
    "reactions",
    "comments",
    "colleague_reactions",
    "colleague_comments",
)
_PROFILE = re.compile(r"^(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/in/([^/?#\s]+)", re.I)
_ACTIVITY = re.compile(r"(?:activity|share|ugcPost)(?::|%3A|-)+(\d{6,})", re.I)
_POST_URL = re.compile(r"^https://(?:www\.)?linkedin\.com/\S+$", re.I)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def profile_key(url: str) -> str | None:
    """A profile URL reduced to its slug (``linkedin.com/in/<slug>``), lowercased."""
    match = _PROFILE.match(url.strip())
    return match.group(1).lower().rstrip("/") if match else None


def post_key(url: str) -> str:
    """A post URL reduced to its activity number when it carries one, else the URL itself."""
    match = _ACTIVITY.search(url)
    return match.group(1) if match else url.strip().rstrip("/").lower()


def _name_key(first: str, last: str) -> str:
    text = unicodedata.normalize("NFKD", f"{first} {last}".lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z ]+", " ", text).split())


def _block(first: str, last: str) -> str:
    return _name_key(first, "")[:1] + "|" + _name_key(last, "")[:2]


# --- consent -------------------------------------------------------------------------------------


def consent_of(session: Session, user: User) -> LinkedInConsent | None:
    return session.get(LinkedInConsent, user.id)


def give_consent(
    session: Session, user: User, profile_url: str = "", *, now: datetime | None = None
) -> LinkedInConsent:
    """Record (or update) the agent's consent and their profile URL. Raises InvalidInput."""
    profile_url = profile_url.strip()
    key = profile_key(profile_url) if profile_url else None
    if profile_url and key is None:
        raise InvalidInput(
            "The consent could not be saved.",
            {
                "profile_url": "A LinkedIn profile address looks like https://www.linkedin.com/in/your-name."
            },
        )
    taken = key and session.scalar(
        select(LinkedInConsent.user_id).where(
            LinkedInConsent.profile_url == key, LinkedInConsent.user_id != user.id
        )
    )
    if taken:
        raise InvalidInput(
            "The consent could not be saved.",
            {"profile_url": "Another member of staff gave this profile address."},
        )
    consent = session.get(LinkedInConsent, user.id)
    if consent is None:
        consent = LinkedInConsent(user_id=user.id, consented_at=now or utcnow())
        session.add(consent)
    consent.profile_url = key
    session.flush()
    return consent


def erase(session: Session, user: User) -> None:
    """Withdraw consent and delete everything kept about the agent's LinkedIn activity."""
    session.execute(delete(LinkedInWeek).where(LinkedInWeek.user_id == user.id))
    session.execute(
        delete(LinkedInEdge).where(
            or_(LinkedInEdge.source_id == user.id, LinkedInEdge.target_id == user.id)
        )
    )
    session.execute(delete(LinkedInPost).where(LinkedInPost.user_id == user.id))
    session.execute(delete(LinkedInConsent).where(LinkedInConsent.user_id == user.id))
    session.flush()


def _require_consent(session: Session, user: User) -> LinkedInConsent:
    consent = session.get(LinkedInConsent, user.id)
    if consent is None:
        raise InvalidInput("Give your consent first.", {"consent": "Give your consent first."})
    return consent


# --- archive import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    files: list[str]
    weeks: int
    connections: int
    colleagues: int
    posts: int
    skipped_rows: int


class _Directory:
    """The staff, to recognise colleagues among an archive's connections."""

    def __init__(self, session: Session, user: User):
        self.user_id = user.id
        consents = session.execute(select(LinkedInConsent.user_id, LinkedInConsent.profile_url))
        self.consenting: set[int] = set()
        self.by_profile: dict[str, int] = {}
        for user_id, key in consents:
            self.consenting.add(user_id)
            if key:
                self.by_profile[key] = user_id
        staff = session.execute(
            select(User.id, User.first_name, User.last_name).where(User.active.is_(True))
        )
        exact: dict[str, list[int]] = defaultdict(list)
        self.blocks: dict[str, dict[str, int]] = defaultdict(dict)
        blocks: dict[str, str] = {}
        for user_id, first, last in staff:
            key = _name_key(first, last)
            if key:
                exact[key].append(user_id)
                blocks[key] = _block(first, last)
        # Homonyms are never told apart by name.
        self.by_name = {k: ids[0] for k, ids in exact.items() if len(ids) == 1}
        for key, user_id in self.by_name.items():
            self.blocks[blocks[key]][key] = user_id
        posts = session.execute(
            select(LinkedInPost.url, LinkedInPost.user_id).where(LinkedInPost.user_id != user.id)
        )
        self.posts = {post_key(url): user_id for url, user_id in posts}

    def colleague(self, url: str, first: str, last: str) -> int | None:
        key = profile_key(url) if url else None
        if key and key in self.by_profile:
            return self.by_profile[key]
        name = _name_key(first, last)
        if not name:
            return None
        if name in self.by_name:
            return self.by_name[name]
        # Fuzzy only among names with the same initials (first name, and the first two letters
        # of the last name): a conservative rule, and fast on 30,000 rows.
        candidates = self.blocks.get(_block(first, last))
        if not candidates:
            return None
        best = process.extract(
            name,
            candidates.keys(),
            scorer=fuzz.token_sort_ratio,
            score_cutoff=NAME_THRESHOLD,
            limit=2,
        )
        if len(best) == 1 or (len(best) == 2 and best[0][1] > best[1][1]):
            return candidates[best[0][0]]
        return None


def _count(archive: Archive, directory: _Directory, relais_prefix: str):
    weeks: dict[date, Counter] = defaultdict(Counter)
    edges: Counter = Counter()
    colleagues = 0
    me = directory.user_id
    for c in archive.connections:
        week = monday(c.on)
        weeks[week]["connections"] += 1
        other = directory.colleague(c.url, c.first_name, c.last_name)
        if other is not None and other != me:
            colleagues += 1
            weeks[week]["colleague_connections"] += 1
            if other in directory.consenting:
                edges[(other, "connection", week)] += 1
    for s in archive.shares:
        week = monday(s.on)
        weeks[week]["posts"] += 1
        if relais_prefix and relais_prefix in s.text:
            weeks[week]["posts_with_link"] += 1
    for kind, rows in (("reaction", archive.reactions), ("comment", archive.comments)):
        for a in rows:
            week = monday(a.on)
            weeks[week][f"{kind}s"] += 1
            author = directory.posts.get(post_key(a.link)) if a.link else None
            if author is not None:
                weeks[week][f"colleague_{kind}s"] += 1
                if author in directory.consenting:
                    edges[(author, kind, week)] += 1
    return weeks, edges, colleagues


def import_archive(
    session: Session,
    user: User,
    data: bytes,
    *,
    relais_prefix: str,
    now: datetime | None = None,
) -> ImportResult:
    """Replace the agent's figures with those of ``data`` (their LinkedIn ZIP archive).

    ``relais_prefix`` is the start of Relais's share links (``<base URL>/r/``). Raises
    InvalidInput (``ArchiveRefused``) with nothing changed; the bytes are never stored.
    """
    consent = _require_consent(session, user)
    archive = read_archive(data)
    directory = _Directory(session, user)
    directory.consenting.add(user.id)
    weeks, edges, colleagues = _count(archive, directory, relais_prefix)
    session.execute(delete(LinkedInWeek).where(LinkedInWeek.user_id == user.id))
    session.execute(delete(LinkedInEdge).where(LinkedInEdge.source_id == user.id))
    if weeks:
        session.execute(
            insert(LinkedInWeek),
            [
                {"user_id": user.id, "week": week, **{m: counts[m] for m in MEASURES}}
                for week, counts in sorted(weeks.items())
            ],
        )
    if edges:
        session.execute(
            insert(LinkedInEdge),
            [
                {"source_id": user.id, "target_id": t, "kind": k, "week": w, "count": n}
                for (t, k, w), n in sorted(edges.items())
                if t != user.id
            ],
        )
    consent.imported_at = now or utcnow()
    session.flush()
    return ImportResult(
        files=archive.files,
        weeks=len(weeks),
        connections=len(archive.connections),
        colleagues=colleagues,
        posts=len(archive.shares),
        skipped_rows=archive.skipped_rows,
    )


# --- "I posted it" -------------------------------------------------------------------------------


def _count_field(value: str, field: str, errors: dict[str, str]) -> int | None:
    value = (value or "").strip().replace(" ", "").replace("\u202f", "")
    if not value:
        return None
    if not value.isdigit() or int(value) > 100_000_000:
        errors[field] = "A whole number, or nothing."
        return None
    return int(value)


def declare_post(
    session: Session,
    user: User,
    *,
    offer_id: int,
    url: str,
    counts: dict[str, str] | None = None,
    post_text: str = "",
) -> LinkedInPost:
    """Record (or update) a LinkedIn post the agent made for an offer. Raises InvalidInput.

    The post is tied to the agent's own share link for the offer when ``post_text`` (what the
    agent pasted, never kept) or the URL carries its code.
    """
    _require_consent(session, user)
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("No such offer.")
    url = url.strip()
    errors: dict[str, str] = {}
    if not _POST_URL.match(url) or len(url) > 500:
        errors["url"] = "Paste the address of the post, starting with https://www.linkedin.com/."
    values = {
        k: _count_field((counts or {}).get(k, ""), k, errors)
        for k in ("impressions", "reactions", "comments", "reposts")
    }
    if errors:
        raise InvalidInput("The post could not be saved.", errors)
    post = session.scalar(
        select(LinkedInPost).where(LinkedInPost.user_id == user.id, LinkedInPost.url == url)
    )
    if post is None:
        post = LinkedInPost(user_id=user.id, offer_id=offer.id, url=url, declared_at=utcnow())
        session.add(post)
    post.offer_id = offer.id
    links = session.scalars(
        select(ShareLink).where(ShareLink.offer_id == offer.id, ShareLink.agent_id == user.id)
    ).all()
    carried = [link for link in links if f"/r/{link.code}" in f"{url} {post_text}"]
    if carried:
        post.share_link_id = carried[0].id
    if any(v is not None for v in values.values()):
        for key, value in values.items():
            setattr(post, key, value)
        post.counts_updated_at = utcnow()
    session.flush()
    return post


# --- what the agent sees -------------------------------------------------------------------------


@dataclass(frozen=True)
class MyData:
    consent: LinkedInConsent | None
    weeks: list[LinkedInWeek]
    months: list[tuple[date, dict[str, int]]]  # per calendar month, for the table over time
    edges: int
    posts: list[LinkedInPost]
    trainings: list[Training]


def my_data(session: Session, user: User) -> MyData:
    """Everything kept about the agent's LinkedIn activity, and their training dates."""
    weeks = list(
        session.scalars(
            select(LinkedInWeek).where(LinkedInWeek.user_id == user.id).order_by(LinkedInWeek.week)
        )
    )
    months: dict[date, dict[str, int]] = {}
    for w in weeks:
        month = months.setdefault(w.week.replace(day=1), dict.fromkeys(MEASURES, 0))
        for m in MEASURES:
            month[m] += getattr(w, m)
    edges = session.scalar(
        select(func.count())
        .select_from(LinkedInEdge)
        .where(or_(LinkedInEdge.source_id == user.id, LinkedInEdge.target_id == user.id))
    )
    posts = list(
        session.scalars(
            select(LinkedInPost)
            .where(LinkedInPost.user_id == user.id)
            .order_by(LinkedInPost.declared_at.desc())
        )
    )
    trainings = list(
        session.scalars(
            select(Training)
            .join(TrainingAttendee, TrainingAttendee.training_id == Training.id)
            .where(TrainingAttendee.user_id == user.id)
            .order_by(Training.held_on)
        )
    )
    return MyData(
        consent=session.get(LinkedInConsent, user.id),
        weeks=weeks,
        months=sorted(months.items()),
        edges=edges or 0,
        posts=posts,
        trainings=trainings,
    )


# --- what recruiters see -------------------------------------------------------------------------


@dataclass(frozen=True)
class Participation:
    direction: str
    staff: int
    consented: int
    imported: int

    @property
    def enough(self) -> bool:
        return self.consented >= MIN_GROUP


def participation(session: Session, population: list | None = None) -> list[Participation]:
    """Per direction: staff, agents who consented, agents who imported an archive.

    Counts of agents only, never who; a direction with fewer than ``MIN_GROUP`` consenting
    agents is shown as "not enough data" by the page.
    """
    rows = session.execute(
        select(
            func.coalesce(Direction.name, ""),
            func.count(User.id),
            func.count(LinkedInConsent.user_id),
            func.count(LinkedInConsent.imported_at),
        )
        .select_from(User)
        .outerjoin(Direction, Direction.id == User.direction_id)
        .outerjoin(LinkedInConsent, LinkedInConsent.user_id == User.id)
        .where(User.active.is_(True), *(population or []))
        .group_by(Direction.name)
        .order_by(Direction.name)
    )
    return [
        Participation(name, staff, consented, imported) for name, staff, consented, imported in rows
    ]


def imported_count(session: Session, population: list | None = None) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LinkedInConsent)
            .join(User, User.id == LinkedInConsent.user_id)
            .where(LinkedInConsent.imported_at.is_not(None), *(population or []))
        )
        or 0
    )
