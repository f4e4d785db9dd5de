"""Many people on one ``/r/<code>`` at once: no visit lost, counters equal to the rows.

Served by a threaded server so that requests really overlap. Meaningful on PostgreSQL (row
locks, READ COMMITTED); on SQLite it checks that writers wait for each other instead of failing.
"""

import http.client
import threading

from sqlalchemy import func, select

from referral.models import ShareLink, Visit
from referral.sharing import visit_writer
from tests.offer_helpers import PERSON_UA, make_link

THREADS = 16
PER_THREAD = 12
PEOPLE = 4  # distinct user agents (same IP): four people


def test_concurrent_visits_are_all_recorded_and_people_counted_once(
    app, session, make_offer, make_user
):
    from werkzeug.serving import make_server

    link = make_link(session, make_offer(), make_user(), "linkedin")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    port = server.server_port
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def hammer(n: int) -> None:
        agent = f"{PERSON_UA} person-{n % PEOPLE}"
        barrier.wait()
        for _ in range(PER_THREAD):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", f"/r/{link.code}", headers={"User-Agent": agent})
            status = conn.getresponse().status
            conn.close()
            with lock:
                statuses.append(status)

    try:
        workers = [threading.Thread(target=hammer, args=(n,)) for n in range(THREADS)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
    finally:
        server.shutdown()
        serving.join(5)

    sent = THREADS * PER_THREAD
    assert statuses == [302] * sent
    session.expire_all()
    rows = session.scalar(select(func.count(Visit.id)).where(Visit.link_id == link.id))
    assert rows == sent
    fresh = session.get(ShareLink, link.id)
    assert fresh.visits_count == sent
    assert fresh.people_count == PEOPLE
    assert visit_writer.counters_match_rows(session, link.id)
