"""The signed attribution cookie keeps the first and last touch within the window."""

from datetime import UTC, datetime, timedelta

from referral.sharing.touches import Touch, add_touch, pick, read_touches

SECRET = "k" * 32
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_first_and_last_touch_are_kept():
    value = add_touch(SECRET, None, "AAAA2222", T0, 30)
    value = add_touch(SECRET, value, "BBBB3333", T0 + timedelta(days=1), 30)
    value = add_touch(SECRET, value, "CCCC4444", T0 + timedelta(days=2), 30)
    touches = read_touches(SECRET, value, T0 + timedelta(days=3), 30)
    assert [t.code for t in touches] == ["AAAA2222", "CCCC4444"]
    assert pick(touches, "last").code == "CCCC4444"
    assert pick(touches, "first").code == "AAAA2222"


def test_touches_outside_the_window_are_ignored():
    value = add_touch(SECRET, None, "AAAA2222", T0, 30)
    assert read_touches(SECRET, value, T0 + timedelta(days=31), 30) == []
    assert read_touches(SECRET, value, T0 + timedelta(days=29), 30) == [Touch("AAAA2222", T0)]


def test_forged_or_garbage_cookies_read_as_nothing():
    value = add_touch(SECRET, None, "AAAA2222", T0, 30)
    assert read_touches("another secret", value, T0, 30) == []
    assert read_touches(SECRET, "garbage", T0, 30) == []
    assert read_touches(SECRET, None, T0, 30) == []
    assert pick([], "last") is None
