"""After an erasure, the person is nowhere: not in any table, not in any file of the instance
folder (CVs, outbox e-mails, the matching index), whatever was sent meanwhile."""

from __future__ import annotations

import io
from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import select

from referral import worker
from referral.models import Base, Candidate, Role, utcnow
from tests.applying import pdf_bytes

FIRST = "Zéphyrine-Apolline-Marguerite-Héloïse-Bérénice-Clémentine-Anastasie-Gwendoline"
LAST = "Quatremère-Vandersteenhoven-Lagrange-Dufresne-Montmorency-Beauharnais"
EMAIL = "zephyrine.quatremere@example.org"
PHONE = "07 98 76 54 32"
NEEDLES = [FIRST, LAST, EMAIL, PHONE, PHONE.replace(" ", ""), "Zéphyrine", "Vandersteenhoven"]


def _texts_of_file(path) -> list[str]:
    """What a file says: its bytes as text, and for an e-mail every decoded header and part."""
    data = path.read_bytes()
    texts = [data.decode("utf-8", "replace"), data.decode("latin-1")]
    if path.suffix == ".eml":
        message = message_from_bytes(data, policy=policy.default)
        texts += [str(value) for value in message.values()]
        texts += [part.get_content() for part in message.walk() if not part.is_multipart()]
    return texts


def _found_in_files(folder) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for text in _texts_of_file(path):
            found += [f"{path.name}: {n}" for n in NEEDLES if n.lower() in text.lower()]
    return sorted(set(found))


def _found_in_tables(session) -> list[str]:
    found = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).all():
            text = " ".join(str(value) for value in row).lower()
            found += [f"{table.name}: {n}" for n in NEEDLES if n.lower() in text]
    return sorted(set(found))


def test_an_erased_candidate_is_in_no_table_and_no_file(
    app, client, auth, make_user, make_offer, make_link, session, sessions, instance_path
):
    settings = app.extensions["relais"].settings
    manager = make_user(Role.MANAGER, locale="fr")
    # A long title first: the subject of the manager's e-mail is cut inside the name.
    offer = make_offer(
        title="Chargée de mission " + "transformation numérique " * 7, hiring_manager=manager
    )
    link = make_link(offer=offer, agent=make_user(first_name="Karim"))
    response = client.post(
        f"/offers/{offer.id}/apply?ref={link.code}",
        data={
            "first_name": FIRST,
            "last_name": LAST,
            "email": EMAIL,
            "phone": PHONE,
            "city": "Lyon",
            "message": f"Bonjour, je suis {FIRST} {LAST}, joignable au {PHONE}.",
            "consent": "y",
            "nonce": "",
            "cv": (io.BytesIO(pdf_bytes(f"{FIRST} {LAST}\n{EMAIL}\n{PHONE}\nPython")), "cv.pdf"),
        },
    )
    assert response.status_code == 302
    worker.run_once(sessions, settings, utcnow() + timedelta(minutes=1))
    assert len(list(settings.outbox_path.glob("*.eml"))) >= 2  # receipt, staff e-mails
    assert _found_in_files(instance_path) and _found_in_tables(session)  # the test can see

    candidate = session.scalar(select(Candidate).where(Candidate.email == EMAIL))
    auth.login(make_user(Role.RECRUITER, locale="en"))
    erased = client.post(f"/recruiter/candidates/{candidate.id}/erase", data={"confirm": "y"})
    assert erased.status_code == 302
    worker.run_once(sessions, settings, utcnow() + timedelta(minutes=2))  # index rebuilt

    session.expire_all()
    assert (_found_in_tables(session), _found_in_files(instance_path)) == ([], [])
