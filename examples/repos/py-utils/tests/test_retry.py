import pytest

from pyutils.retry import RetryError, backoff_delays, retry


def test_backoff_without_jitter_doubles_and_caps():
    assert list(backoff_delays(5, 1.0, 5.0, jitter=False)) == [1.0, 2.0, 4.0, 5.0]


def test_retry_succeeds_after_failures():
    calls = []

    @retry(attempts=3, jitter=False, sleep=lambda _s: None)
    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OSError("boom")
        return "ok"

    assert flaky() == "ok"
    assert len(calls) == 3


def test_retry_gives_up():
    @retry(attempts=2, sleep=lambda _s: None)
    def always_fails():
        raise OSError("nope")

    with pytest.raises(RetryError):
        always_fails()
