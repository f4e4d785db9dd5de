"""The attribution cookie: which share links a visitor came through, and when.

The cookie keeps the first and the last touch (link code and time), signed with the app's
secret so that nobody can forge a credit. It is set on ``/r/<code>`` and read when the
visitor applies; touches older than the attribution window are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "relais_ref"
_SALT = "relais-attribution"


@dataclass(frozen=True)
class Touch:
    code: str
    at: datetime


@lru_cache(maxsize=8)
def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def read_touches(secret: str, value: str | None, now: datetime, window_days: int) -> list[Touch]:
    """The first and last touches still inside the window, oldest first (may be one, or none).

    A missing, forged or malformed cookie reads as no touch at all.
    """
    if not value:
        return []
    try:
        data = _serializer(secret).loads(value)
        touches = [Touch(str(code), datetime.fromtimestamp(int(ts), UTC)) for code, ts in data]
    except (BadSignature, TypeError, ValueError):
        return []
    oldest = now - timedelta(days=window_days)
    kept = [t for t in touches if oldest <= t.at <= now + timedelta(minutes=5)]
    unique: list[Touch] = []
    for touch in sorted(kept, key=lambda t: t.at):
        if touch not in unique:
            unique.append(touch)
    return unique


def add_touch(secret: str, value: str | None, code: str, now: datetime, window_days: int) -> str:
    """The cookie value after a visit through ``code``: the first touch kept, the last replaced."""
    touches = read_touches(secret, value, now, window_days)
    first = touches[0] if touches else Touch(code, now)
    last = Touch(code, now)
    pairs = [[first.code, int(first.at.timestamp())]]
    if last != first:
        pairs.append([last.code, int(last.at.timestamp())])
    return _serializer(secret).dumps(pairs)


def pick(touches: list[Touch], model: str) -> Touch | None:
    """The touch that wins under the attribution ``model`` ("last" or "first")."""
    if not touches:
        return None
    return touches[0] if model == "first" else touches[-1]
