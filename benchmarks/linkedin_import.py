"""Time the import of a large LinkedIn archive: 10 years, 30,000 connections.

    python benchmarks/linkedin_import.py [--connections 30000] [--staff 1800] [--runs 3] [--json]

Builds an archive as LinkedIn writes it (Notes lines, 10 years of connections, posts,
comments and reactions) and a staff directory of ``--staff`` people in a temporary SQLite
database, a tenth of the connections being colleagues (half by exact name, half with a typo or
a missing accent, so rapidfuzz works). Then imports it ``--runs`` times (the same archive again
replaces the figures) and prints the median against a baseline measured in the same run: only
reading the ZIP and its CSVs (``read_archive``). The target: under 5 s for the whole import.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import Session  # noqa: E402

from referral.db import make_engine  # noqa: E402
from referral.linkedin import activity as linkedin  # noqa: E402
from referral.linkedin.archive import read_archive  # noqa: E402
from referral.models import User  # noqa: E402
from referral.schema import upgrade  # noqa: E402
from tests.linkedin_factories import (  # noqa: E402
    activity_csv,
    connections_csv,
    shares_csv,
    zip_bytes,
)

FIRST = ["Anne", "Hélène", "Paul", "Jean", "Marie", "Lucas", "Chloé", "Hugo", "Léa", "Louis"]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
]


def tag(i: int) -> str:
    """Letters only: the directory compares names without digits."""
    out = ""
    while True:
        out += "bcdfghjklmnpqrstvz"[i % 18]
        i //= 18
        if not i:
            return out


def build(connections: int, staff: int, seed: int = 7) -> tuple[bytes, list[tuple[str, str]]]:
    rng = random.Random(seed)
    start = date.today() - timedelta(days=3650)
    names = [(rng.choice(FIRST), f"{rng.choice(LAST)}-{tag(i)}") for i in range(staff)]
    people = []
    for i in range(connections):
        day = start + timedelta(days=rng.randrange(3650))
        if i % 10 == 0:
            first, last = names[rng.randrange(staff)]
            if i % 20 == 0:
                last = last[:-1] + "é" + last[-1]  # a typo: found by rapidfuzz, not exactly
            people.append((first, last, "", day))
        else:
            people.append(
                (rng.choice(FIRST), f"Ext-{tag(i)}", f"https://www.linkedin.com/in/ext-{i}", day)
            )
    days = [start + timedelta(days=rng.randrange(3650)) for _ in range(6000)]
    data = zip_bytes(
        {
            "Connections.csv": connections_csv(people),
            "Shares.csv": shares_csv(
                [(d, "Nous recrutons http://localhost/r/abc") for d in days[:1500]]
            ),
            "Comments.csv": activity_csv(
                "comments", [(d, f"https://x/{i}") for i, d in enumerate(days[:1500])]
            ),
            "Reactions.csv": activity_csv(
                "reactions", [(d, f"https://x/{i}") for i, d in enumerate(days)]
            ),
        },
        folder="Complete_LinkedInDataExport/",
    )
    return data, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=30000)
    parser.add_argument("--staff", type=int, default=1800)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data, names = build(args.connections, args.staff)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        with Session(engine) as session, session.begin():
            session.add_all(
                User(email=f"s{i}@region.example", first_name=f, last_name=last)
                for i, (f, last) in enumerate(names)
            )
        with Session(engine) as session, session.begin():
            agent = session.get(User, 1)
            linkedin.give_consent(session, agent)
        baseline, full = [], []
        result = None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            read_archive(data)
            baseline.append(time.perf_counter() - t0)
            with Session(engine) as session, session.begin():
                agent = session.get(User, 1)
                t0 = time.perf_counter()
                result = linkedin.import_archive(
                    session, agent, data, relais_prefix="http://localhost/r/"
                )
            full.append(time.perf_counter() - t0)
        engine.dispose()
    figures = {
        "archive_mb": round(len(data) / 1e6, 2),
        "connections": result.connections,
        "colleagues_recognised": result.colleagues,
        "weeks": result.weeks,
        "read_only_s": round(statistics.median(baseline), 3),
        "import_s": round(statistics.median(full), 3),
        "ratio_to_read_only": round(statistics.median(full) / statistics.median(baseline), 2),
        "target_s": 5.0,
    }
    figures["within_target"] = figures["import_s"] < figures["target_s"]
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
