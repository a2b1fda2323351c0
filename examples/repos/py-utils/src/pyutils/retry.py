"""Retry a flaky call with exponential backoff and optional jitter."""

import functools
import random
import time


class RetryError(Exception):
    """Raised when every attempt failed; the last error is chained."""

    def __init__(self, attempts, last_error):
        super().__init__(f"gave up after {attempts} attempts: {last_error!r}")
        self.attempts = attempts
        self.last_error = last_error


def backoff_delays(attempts, base_delay, max_delay, jitter):
    """Yield the sleep before each retry: base, 2*base, 4*base, ... capped."""
    delay = base_delay
    for _ in range(attempts - 1):
        if jitter:
            yield random.uniform(0, delay)
        else:
            yield delay
        delay = min(delay * 2, max_delay)


def retry(attempts=3, base_delay=0.5, max_delay=30.0, jitter=True, exceptions=(Exception,), sleep=time.sleep):
    """Decorator: call the function up to `attempts` times.

    Only the listed exception types trigger a retry; anything else propagates
    at once. `sleep` is injectable so tests do not have to wait.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            delays = backoff_delays(attempts, base_delay, max_delay, jitter)
            last_error = None
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except exceptions as error:
                    last_error = error
                    if attempt == attempts:
                        break
                    sleep(next(delays))
            raise RetryError(attempts, last_error) from last_error

        return wrapper

    return decorator
