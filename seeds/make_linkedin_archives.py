"""LinkedIn data archives for part of the demo staff, with a visible effect after trainings.

    python seeds/make_linkedin_archives.py OUT_FOLDER

writes one ZIP per demo agent who takes part (as LinkedIn sends them: a folder with
``Connections.csv``, its Notes lines first, ``Shares.csv``, ``Comments.csv``,
``Reactions.csv``), dated relative to today, to try the import page by hand. The seed loader
calls :func:`archive` directly, in memory, and imports the archives through the same use case.

An agent's archive holds a few years of old connections with outsiders, then 26 weeks of
activity: connections with outsiders and colleagues, posts (some carrying a Relais link),
reactions and comments. After the agent's training, they post, react and connect with
colleagues about three times as often; untrained agents stay flat.
"""

from __future__ import annotations

import csv
import io
import random
import sys
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

SEED = 2027
SHARE = 0.6  # of the demo staff who consent and import an archive
NOTES = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses '
    "are missing. You will only see email addresses for connections who have allowed their "
    'connections to see or download their email address."\n\n'
)
OUTSIDERS = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois"]


def profile_url(email: str) -> str:
    """A demo agent's LinkedIn address, derived from their e-mail."""
    return "https://www.linkedin.com/in/" + email.split("@")[0].replace(".", "-")


def _csv(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def _days(rng: random.Random, monday: date, rate: float) -> list[datetime]:
    """Moments in the week of ``monday``: about ``rate`` of them (at most 4)."""
    n = sum(rng.random() < rate / 4 for _ in range(4))
    return [
        datetime.combine(monday + timedelta(days=rng.randrange(7)), datetime.min.time())
        + timedelta(hours=rng.randint(7, 20), minutes=rng.randrange(60))
        for _ in range(n)
    ]


def archive(
    rng: random.Random,
    today: date,
    trained_on: date | None,
    colleagues: list[tuple[str, str, str]],
    base_url: str,
    weeks: int = 26,
) -> bytes:
    """One agent's archive. ``colleagues``: (first name, last name, profile URL) of staff."""
    start = today - timedelta(weeks=weeks)
    connections: list[list[object]] = []
    for i in range(rng.randint(40, 200)):
        day = start - timedelta(days=rng.randint(1, 2000))
        connections.append(
            [
                f"Contact{i}",
                rng.choice(OUTSIDERS),
                f"https://www.linkedin.com/in/contact-{rng.getrandbits(32):x}",
                "",
                "Entreprise",
                "Chargé de mission",
                day.strftime("%d %b %Y"),
            ]
        )
    shares, comments, reactions = [], [], []
    pool = list(colleagues)
    rng.shuffle(pool)
    for w in range(weeks):
        monday = start + timedelta(weeks=w)
        boost = 3.0 if trained_on and monday > trained_on else 1.0

        for when in _days(rng, monday, 1.6):
            connections.append(
                ["Contact", rng.choice(OUTSIDERS), "", "", "", "", when.strftime("%d %b %Y")]
            )
        for when in _days(rng, monday, 0.3 * boost):
            if pool:
                first, last, url = pool.pop()
                # Half of the colleagues are recognised by their address, half by their name.
                connections.append(
                    [
                        first,
                        last,
                        url if rng.random() < 0.5 else "",
                        "",
                        "",
                        "",
                        when.strftime("%d %b %Y"),
                    ]
                )
        for when in _days(rng, monday, 0.4 * boost):
            text = "Nous recrutons ! " + (
                f"{base_url}/r/demo{rng.randrange(999)}" if rng.random() < 0.5 else ""
            )
            shares.append(
                [
                    when.strftime("%Y-%m-%d %H:%M:%S"),
                    f"https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A{rng.getrandbits(60)}",
                    text,
                    "",
                    "",
                    "MEMBER_NETWORK",
                ]
            )
        for when in _days(rng, monday, 1.0 * boost):
            reactions.append(
                [
                    when.strftime("%Y-%m-%d %H:%M:%S"),
                    "LIKE",
                    f"https://www.linkedin.com/feed/update/urn:li:activity:{rng.getrandbits(60)}",
                ]
            )
        for when in _days(rng, monday, 0.4 * boost):
            comments.append(
                [
                    when.strftime("%Y-%m-%d %H:%M:%S"),
                    f"https://www.linkedin.com/feed/update/urn:li:activity:{rng.getrandbits(60)}",
                    "Bravo !",
                ]
            )
    header = [
        "First Name",
        "Last Name",
        "URL",
        "Email Address",
        "Company",
        "Position",
        "Connected On",
    ]
    files = {
        "Connections.csv": NOTES + _csv(header, connections),
        "Shares.csv": _csv(
            ["Date", "ShareLink", "ShareCommentary", "SharedUrl", "MediaUrl", "Visibility"], shares
        ),
        "Comments.csv": _csv(["Date", "Link", "Message"], comments),
        "Reactions.csv": _csv(["Date", "Type", "Link"], reactions),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(f"Basic_LinkedInDataExport_{today:%m-%d-%Y}/{name}", text)
    return out.getvalue()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    with (Path(__file__).parent / "staff.csv").open(encoding="utf-8") as f:
        staff = list(csv.DictReader(f, delimiter=";"))
    rng = random.Random(SEED)
    people = [(s["first_name"], s["last_name"], profile_url(s["email"])) for s in staff]
    for person in staff:
        if rng.random() < SHARE:
            others = [p for p in people if p[2] != profile_url(person["email"])]
            data = archive(rng, date.today(), None, others, "http://127.0.0.1:5000")
            (folder / f"{person['email'].split('@')[0]}.zip").write_bytes(data)


if __name__ == "__main__":
    main()
