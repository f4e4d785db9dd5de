"""Time to queue 1,800 invitations (the staff import's "invite" box) in the outbox.

Baseline in the same run: queueing the same number of password-reset e-mails with a flush each
(what a loop over ``notifications.notify`` with a flush per account costs). Prints the figures,
and JSON with ``--json``. Uses a fresh SQLite file (or RELAIS_BENCH_DATABASE_URL).

    python benchmarks/queue_invitations.py [--count 1800] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from referral.models import Base, User
from referral.notifications import outbox as notifications
from referral.people import invitations, users


def _accounts(session: Session, count: int, prefix: str) -> list[str]:
    emails = [f"{prefix}{n}@region.example" for n in range(count)]
    session.add_all(User(email=e, first_name="Agent", last_name="Test") for e in emails)
    session.commit()
    return emails


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1800)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("RELAIS_BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.db")
        engine = create_engine(url)
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            emails = _accounts(session, args.count, "base")
            start = time.perf_counter()
            for user in session.scalars(select(User).where(User.email.in_(emails))).all():
                token = users.issue_reset_token(session, user)
                notifications.notify(
                    session, "password_reset", user=user, link=f"http://x/r/{token}"
                )
                session.flush()
            session.commit()
            baseline = time.perf_counter() - start

            emails = _accounts(session, args.count, "inv")
            start = time.perf_counter()
            queued = invitations.invite_by_email(
                session, emails, link_for=lambda t: f"http://x/password/reset/{t}", actor=None
            )
            session.commit()
            elapsed = time.perf_counter() - start
        engine.dispose()
    result = {
        "count": queued,
        "batch_size": invitations.BATCH_SIZE,
        "invite_s": round(elapsed, 3),
        "per_invitation_ms": round(1000 * elapsed / max(queued, 1), 3),
        "baseline_flush_each_s": round(baseline, 3),
        "ratio_to_baseline": round(elapsed / baseline, 3),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{queued} invitations queued in {elapsed:.2f} s "
            f"({result['per_invitation_ms']} ms each, batches of {invitations.BATCH_SIZE}); "
            f"one flush per e-mail: {baseline:.2f} s (ratio {result['ratio_to_baseline']})"
        )


if __name__ == "__main__":
    main()
