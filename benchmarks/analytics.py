"""Time every analytics dashboard on a generated database of realistic volume.

    python benchmarks/analytics.py [--visits 1000000] [--applications 100000] [--runs 5] [--json]

Generates directions, ~1,800 agents, offers, share links, visits, candidates, applications
with their status history, credits and trainings into a temporary SQLite database — or, when
``RELAIS_TEST_DATABASE_URL`` (or ``--database-url``) points to PostgreSQL, into a schema of its
own (``relais_bench``, dropped and recreated; nothing else in that database is touched), with
COPY. Generation time is not measured. Then runs each dashboard's service calls (the same
calls the pages make) a few times and prints the median in milliseconds.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from referral.analytics import funnel as funnels  # noqa: E402
from referral.analytics import leaderboards, rollup, scope, training_effect, weekly  # noqa: E402
from referral.config import Settings  # noqa: E402
from referral.db import make_engine  # noqa: E402
from referral.models import Role, User  # noqa: E402
from referral.schema import upgrade  # noqa: E402

SCHEMA = "relais_bench"
# Days and weeks of the organisation's time zone, as the pages count them.
ZONE = os.environ.get("RELAIS_TIMEZONE") or Settings.timezone
CHANNELS = ["linkedin"] * 6 + ["email"] * 2 + ["whatsapp", "copy", "qr", "facebook", "x"]
STAGES = ["new", "screening", "interview", "offer", "hired"]


def sqlite_time(value: datetime) -> str:
    """SQLAlchemy's storage format for DateTime on SQLite (naive UTC)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Loader:
    """Bulk inserts: COPY on PostgreSQL, executemany of plain tuples on SQLite."""

    def __init__(self, conn, postgres: bool):
        self.conn = conn
        self.postgres = postgres

    def insert(self, table: str, columns: list[str], rows) -> None:
        rows = list(rows)
        if not rows:
            return
        quoted = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cells = [
            tuple(sqlite_time(v) if isinstance(v, datetime) else v for v in row) for row in rows
        ]
        marks = ", ".join("?" for _ in columns)
        self.conn.exec_driver_sql(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', cells)


def generate(engine, n_visits: int, n_applications: int, today: date, seed: int = 8) -> None:
    rng = random.Random(seed)
    postgres = engine.dialect.name == "postgresql"
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    start = now - timedelta(days=420)

    def after(lo: datetime, mean_days: float) -> datetime:
        """A time after ``lo`` (exponential delay), never in the future."""
        when = lo + timedelta(days=rng.expovariate(1 / mean_days))
        return when if when <= now else moment(lo, now)

    def moment(lo: datetime, hi: datetime) -> datetime:
        hi = min(hi, now)
        if hi <= lo:
            return lo
        return lo + timedelta(seconds=rng.uniform(0, (hi - lo).total_seconds()))

    with engine.begin() as conn:
        load = Loader(conn, postgres)
        # Directions: 5 DGA > 25 directions > 75 services.
        directions, ids = [], itertools.count(1)
        for g in range(5):
            dga = next(ids)
            directions.append((dga, f"DGA {g + 1}", f"DGA{g + 1}", None))
            for d in range(5):
                did = next(ids)
                directions.append((did, f"Direction {g + 1}.{d + 1}", f"D{g + 1}{d + 1}", dga))
                for s in range(3):
                    sid = next(ids)
                    directions.append(
                        (sid, f"Service {g + 1}.{d + 1}.{s + 1}", f"S{g + 1}{d + 1}{s + 1}", did)
                    )
        load.insert("direction", ["id", "name", "code", "parent_id"], directions)
        leaves = [d[0] for d in directions if d[3] is not None]

        # ~1,800 staff: 5 % have left, 3 % asked to be off the leaderboards.
        users = []
        for u in range(1, 1801):
            users.append(
                (u, f"agent{u}@region.example", f"Prénom{u}", f"Nom{u}", "", rng.choice(leaves),
                 rng.random() > 0.05, rng.random() > 0.03, 0, start)
            )  # fmt: skip
        load.insert(
            "user_account",
            ["id", "email", "first_name", "last_name", "job_title", "direction_id", "active",
             "on_leaderboard", "failed_logins", "created_at"],
            users,
        )  # fmt: skip
        load.insert("user_role", ["user_id", "role"], [(1, "recruiter"), (2, "manager")])
        conn.execute(text("UPDATE user_account SET direction_id = 2 WHERE id = 2"))

        # 400 offers published over the 14 months.
        offers = []
        for o in range(1, 401):
            published = moment(start, now - timedelta(days=5))
            offers.append(
                (o, f"REF-{o:04d}", f"Offre {o}", rng.choice(leaves), "territoriale", "",
                 "both", "permanent", "Lyon", "none", "full", "", "", "", "", "[]", "[]", "[]",
                 "", 1, "published", published, published, published)
            )  # fmt: skip
        load.insert(
            "offer",
            ["id", "reference", "title", "direction_id", "versant", "metier",
             "employment_nature", "contract_type", "location", "remote_work", "working_time",
             "education_level", "description", "missions", "profile", "required_skills",
             "nice_skills", "languages", "salary", "positions", "status", "published_at",
             "created_at", "updated_at"],
            offers,
        )  # fmt: skip
        published_at = {o[0]: o[21] for o in offers}

        # Share links: 40 % of agents share, a few of them a lot.
        sharers = rng.sample(range(1, 1801), 720)
        weights = [1 / (i + 1) ** 0.8 for i in range(len(sharers))]
        links, seen = [], set()
        while len(links) < 25_000:
            agent = rng.choices(sharers, weights)[0]
            offer = rng.randint(1, 400)
            channel = rng.choice(CHANNELS)
            if (offer, agent, channel) in seen:
                continue
            seen.add((offer, agent, channel))
            created = moment(published_at[offer], published_at[offer] + timedelta(days=45))
            links.append((len(links) + 1, f"k{len(links) + 1}", offer, agent, channel, created))
        load.insert(
            "share_link",
            ["id", "code", "offer_id", "agent_id", "channel", "created_at", "visits_count",
             "people_count", "bot_count"],
            [(*row, 0, 0, 0) for row in links],
        )  # fmt: skip
        link_cum = list(itertools.accumulate(1 / (i + 1) ** 0.9 for i in range(len(links))))

        def pick_link():
            r = rng.random() * link_cum[-1]
            return links[min(bisect.bisect_left(link_cum, r), len(links) - 1)]

        # Visits: 60 % new people, 25 % repeat visits, 15 % preview bots.
        batch = []
        for vid in range(1, n_visits + 1):
            link = pick_link()
            when = after(link[5], 6)
            kind = rng.random()
            batch.append((vid, link[0], when, f"{vid:x}", kind >= 0.85, kind < 0.6, None))
            if len(batch) == 100_000:
                load.insert(
                    "visit",
                    ["id", "link_id", "occurred_at", "visitor_hash", "is_bot", "is_new_person",
                     "referrer_host"],
                    batch,
                )  # fmt: skip
                batch = []
        load.insert(
            "visit",
            ["id", "link_id", "occurred_at", "visitor_hash", "is_bot", "is_new_person",
             "referrer_host"],
            batch,
        )  # fmt: skip

        # Applications: 55 % through links, 10 % direct referrals, 30 % careers, 5 % internal.
        candidates, applications, history, credits = [], [], [], []
        sc_id = ce_id = 0
        for a in range(1, n_applications + 1):
            kind = rng.random()
            link_id = agent = None
            if kind < 0.55:
                link = pick_link()
                link_id, offer, agent, source = link[0], link[2], link[3], "share_link"
                created = after(link[5], 8)
            else:
                offer = rng.randint(1, 400)
                created = moment(published_at[offer], published_at[offer] + timedelta(days=60))
                if kind < 0.65:
                    source, agent = "referral", rng.choice(sharers)
                else:
                    source = "careers" if kind < 0.95 else "internal"
            reached = rng.choices(range(5), [50, 25, 15, 5, 5])[0]
            status, when = "new", created
            for stage in STAGES[1 : reached + 1]:
                when = moment(when, when + timedelta(days=rng.uniform(1, 10)))
                sc_id += 1
                history.append((sc_id, a, status, stage, when))
                status = stage
            if reached < 4 and rng.random() < 0.5 and reached > 0:
                when = moment(when, when + timedelta(days=2))
                sc_id += 1
                history.append((sc_id, a, status, "rejected", when))
                status = "rejected"
            candidates.append((a, f"c{a}@example.org", "C", str(a), "", "[]", False, False,
                               created, created))  # fmt: skip
            applications.append((a, a, offer, source, link_id, agent, "", False, "", status,
                                 created, created, when))  # fmt: skip
            if agent is not None:
                ce_id += 1
                credits.append((ce_id, a, agent, "applied", 0, False, 10, "eligible", created))
        load.insert(
            "candidate",
            ["id", "email", "first_name", "last_name", "city", "skills", "talent_pool_consent",
             "is_staff", "created_at", "updated_at"],
            candidates,
        )  # fmt: skip
        load.insert(
            "application",
            ["id", "candidate_id", "offer_id", "source", "share_link_id", "credited_agent_id",
             "attribution_reason", "internal_mobility", "message", "status", "created_at",
             "updated_at", "status_changed_at"],
            applications,
        )  # fmt: skip
        load.insert(
            "status_change", ["id", "application_id", "from_status", "to_status", "at"], history
        )
        load.insert(
            "credit_event",
            ["id", "application_id", "agent_id", "milestone", "round", "is_reversal", "points",
             "state", "created_at"],
            credits,
        )  # fmt: skip

        # Six trainings of 150 agents each over the year.
        trainings, attendees = [], []
        for t in range(1, 7):
            held = (now - timedelta(days=60 * t)).date()
            trainings.append((t, f"Formation {t}", "agents", held, ""))
            attendees += [(t, u) for u in rng.sample(range(1, 1801), 150)]
        load.insert("training", ["id", "title", "audience", "held_on", "notes"], trainings)
        load.insert("training_attendee", ["training_id", "user_id"], attendees)
        if postgres:
            for table in ("direction", "user_account", "offer", "share_link", "visit",
                          "candidate", "application", "status_change", "credit_event",
                          "training"):  # fmt: skip
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def dashboards(session: Session, today: date) -> dict:
    """The service calls each page makes, by dashboard name."""
    recruiter = session.get(User, 1)
    manager = session.get(User, 2)
    assert recruiter.has_role(Role.RECRUITER) and manager.has_role(Role.MANAGER)
    year = scope.Period.last(365, today, ZONE)
    quarter = scope.Period.last(90, today, ZONE)
    training_id = 3

    def design(training_id, comparison="never_trained"):
        return training_effect.training_design(
            session,
            training_id,
            today=today,
            zone=ZONE,
            comparison=comparison,
            population=scope.population_conditions(recruiter),
        )

    def training_page(training_id, comparison="never_trained"):
        """The training page (and its one-page report, which makes the same calls): its
        design, the per-agent weeks loaded once, the estimates with their intervals, the
        chart."""
        plan = design(training_id, comparison)
        weeks = training_effect.design_weeks(session, plan, ZONE) if plan.enough else None
        training_effect.training_effects(session, plan, ZONE, weeks)
        training_effect.weekly_links(session, plan, ZONE, weeks)

    def programme_report():
        """Every training on one page: the designs, then every agent's weeks in one load."""
        plans = [design(t.id) for t, _n in training_effect.list_trainings(session)]
        weeks = training_effect.programme_weeks(session, plans, ZONE)
        for plan in plans:
            training_effect.training_effects(session, plan, ZONE, weeks)
            training_effect.weekly_links(session, plan, ZONE, weeks)

    def over_time():
        weekly.weekly(session, recruiter, year)
        training_effect.training_marks(session, year.start, year.end)
        weekly.monthly_sharing(session, recruiter, year, today)

    def funnel(grouping, viewer=recruiter, period=year):
        def run():
            funnels.funnel(session, viewer, period, scope.Filters(), grouping)
            scope.filter_choices(session, viewer)

        return run

    return {
        "funnel_offer_12m": funnel("offer"),
        "funnel_direction_12m": funnel("direction"),
        "funnel_channel_12m": funnel("channel"),
        "funnel_agent_12m": funnel("agent"),
        "funnel_offer_90d": funnel("offer", period=quarter),
        "funnel_manager_12m": funnel("offer", viewer=manager),
        "over_time_12m": over_time,
        "trainings_list": lambda: training_effect.list_trainings(session),
        "training_detail_8w": lambda: training_page(training_id),
        "training_report_8w": lambda: training_page(training_id),
        "training_staggered_8w": lambda: training_page(training_id, "later_cohort"),
        "trainings_programme_report": programme_report,
        "leaderboards_12m": lambda: leaderboards.leaderboards(session, recruiter, year),
    }


def build_rollup(engine) -> float:
    """The first roll-up of the visits (once per database); seconds."""
    began = time.perf_counter()
    with Session(engine) as session, session.begin():
        rollup.refresh_visit_days(session, ZONE, rebuild=True)
    took = time.perf_counter() - began
    # PostgreSQL: the planner's statistics of the rebuilt table, as autovacuum would have
    # them after a bulk load (not timed). SQLite gathers none unless told to, and the app
    # never tells it: its roll-up is measured without.
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE visit_day"))
    return took


def measure(engine, today: date, runs: int) -> dict[str, tuple[float, float]]:
    """Per dashboard, the median of ``runs`` runs in milliseconds: (wall clock, CPU time).

    Each run includes the roll-up check a page does (:func:`rollup.status`: pages read the
    roll-up the worker keeps, and say how fresh it is). The CPU time is this process's: on a
    busy machine it shows what SQLite (which runs in-process) costs without the wait for a
    CPU; it means little on PostgreSQL, whose work happens in the server.
    """
    results = {}
    with Session(engine) as session:
        for name, run in dashboards(session, today).items():
            run()  # warm the caches once
            walls, cpus = [], []
            for _ in range(runs):
                session.expire_all()
                wall, cpu = time.perf_counter(), time.process_time()
                rollup.status(session, ZONE)
                run()
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
                session.rollback()
            results[name] = (
                round(statistics.median(walls), 1),
                round(statistics.median(cpus), 1),
            )
    return results


def measure_worker_tick(engine, today: date, visits: int = 2_000) -> float:
    """Milliseconds of one worker roll-up after ``visits`` new visits today (the work the
    pages no longer do), then rolled back so that the dashboards' figures do not change."""
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=11)
    at = now if engine.dialect.name == "postgresql" else sqlite_time(now)
    with Session(engine) as session:
        first = session.scalar(text("SELECT max(id) FROM visit")) + 1
        session.execute(
            text(
                "INSERT INTO visit (id, link_id, occurred_at, visitor_hash, is_bot, "
                "is_new_person) VALUES (:id, :link, :at, :hash, :bot, :new)"
            ),
            [
                {"id": first + i, "link": 1 + i % 500, "at": at, "hash": f"w{i}",
                 "bot": False, "new": True}
                for i in range(visits)
            ],
        )  # fmt: skip
        began = time.perf_counter()
        rollup.refresh_visit_days(session, ZONE)
        took = (time.perf_counter() - began) * 1000
        session.rollback()
    return round(took, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one key per dashboard, in ms")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("RELAIS_TEST_DATABASE_URL", ""),
        help="PostgreSQL URL (a schema relais_bench is created in it); default: temp SQLite",
    )
    parser.add_argument(
        "--sqlite-file",
        help="keep the SQLite database in this file, and reuse it when it exists",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: keep the schema relais_bench when it holds data (migrated to the "
        "current head), to compare two versions of the code on the same data",
    )
    args = parser.parse_args(argv)
    today = date.today()
    with tempfile.TemporaryDirectory() as folder:
        if args.database_url.startswith("postgres"):
            url = args.database_url
            admin = make_engine(url)
            with admin.begin() as conn:
                kept = args.reuse and conn.scalar(
                    text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"{SCHEMA}.visit"}
                )
                if not kept:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
                    conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
            admin.dispose()
            engine = make_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})
            fresh = not kept
        else:
            path = Path(args.sqlite_file or Path(folder) / "bench.db")
            fresh = not path.exists()
            engine = make_engine(f"sqlite:///{path}")
        began = time.perf_counter()
        if fresh:
            upgrade(engine)
            generate(engine, args.visits, args.applications, today)
        else:
            upgrade(engine)  # kept data, perhaps of an older schema
        generated = time.perf_counter() - began
        first_rollup = build_rollup(engine)
        results = measure(engine, today, args.runs)
        tick = measure_worker_tick(engine, today)
        engine.dispose()
    if args.json:
        print(
            json.dumps(
                {
                    **{name: {"wall_ms": w, "cpu_ms": c} for name, (w, c) in results.items()},
                    "worker_rollup_tick_ms": tick,
                },
                indent=2,
            )
        )
    else:
        print(
            f"{engine.dialect.name}: {args.visits:,} visits, {args.applications:,} applications "
            f"(generated in {generated:.0f} s, first roll-up of visits {first_rollup:.1f} s); "
            f"median of {args.runs} runs, wall clock and this process's CPU time"
        )
        for name, (wall, cpu) in results.items():
            flag = "" if wall < 500 else "  > 500 ms"
            print(f"  {name:<28} {wall:>8.1f} ms wall {cpu:>8.1f} ms CPU{flag}")
        print(f"  worker roll-up tick after 2,000 new visits: {tick:.1f} ms (not a page)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
