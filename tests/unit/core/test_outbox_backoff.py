from datetime import timedelta

from webapp.core.mail.outbox import MAX_ATTEMPTS, backoff


def test_backoff_doubles_from_one_minute():
    assert [backoff(n) for n in range(1, 5)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]


def test_retries_are_bounded():
    assert 3 <= MAX_ATTEMPTS <= 10
