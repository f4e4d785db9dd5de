"""Sign-in rate limits shared in Redis (several web workers), when a test Redis is available.

CI sets ``RELAIS_TEST_REDIS_URL`` (``redis://127.0.0.1:6379/15``); without it the test is
skipped.
"""

from __future__ import annotations

import os
import uuid

import pytest

REDIS_URL = os.environ.get("RELAIS_TEST_REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL, reason="RELAIS_TEST_REDIS_URL is not set")
def test_sign_in_limit_is_enforced_through_redis(app_config, engine):
    import redis

    from web import create_app

    store = redis.Redis.from_url(REDIS_URL)
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RELAIS_RATELIMIT_STORAGE_URL"] = REDIS_URL
    app_config["RELAIS_LOGIN_RATE_LIMIT"] = "3 per minute"
    # A unique client address, so that parallel or repeated runs do not share a counter.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    first, second = create_app(app_config), create_app(app_config)
    try:
        # Two app instances stand for two web workers: the count is shared through Redis.
        codes = []
        for index in range(4):
            worker = (first, second)[index % 2].test_client()
            response = worker.post(
                "/login",
                data={"email": "a@b.example", "password": "x"},
                environ_base={"REMOTE_ADDR": address},
            )
            codes.append(response.status_code)
        assert codes == [401, 401, 401, 429]
        keys = list(store.scan_iter(match=f"*{address}*"))
        assert keys, "the counter is not in Redis"
    finally:
        for key in store.scan_iter(match=f"*{address}*"):
            store.delete(key)
        first.extensions["relais"].engine.dispose()
        second.extensions["relais"].engine.dispose()
