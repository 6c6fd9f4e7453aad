"""Patient, time-bounded retries of vendor API calls (Confluence, Drive).

Background syncs can afford patience: a storm of 429/503 responses must not make a
document fail. So a call is retried until a *time* budget is spent, not a number of
attempts: `Retry-After` is honoured when the vendor sends it, otherwise the wait is an
exponential back-off with full jitter; no single wait runs past the budget.

The whole API::

    policy = RetryPolicy(budget_seconds=settings.sync_retry_budget_seconds)
    budget = policy.start()                  # one per logical call
    while True:
        outcome = try_the_call()
        if it succeeded or the error is not retryable:
            break
        wait = budget.next_wait(retry_after_seconds(resp.headers.get("Retry-After")))
        if wait is None:                     # the budget is spent: give up
            raise ...                        # budget.attempts / budget.elapsed for the message
        sleep(wait)

`retry_after_seconds` parses the header (delta-seconds or an HTTP date). Time spent is
the larger of the wall-clock time since the call started and the sum of the waits handed
out, so a test's fake `sleep` still exhausts the budget.

The accounting is exact: the budget and every wait are whole ticks of 1/1024 s (binary
fractions, which floats add without rounding), so the waits of a call never add up to
more than its budget, however they are summed (a sum of decimal-fraction floats could
come out at 10.000000000000002 for a 10 s budget). A `Retry-After` is rounded up to a
tick (never shorter than asked), a back-off to the nearest one.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

DEFAULT_BUDGET_SECONDS = 300.0
TICKS_PER_SECOND = 1024  # the unit of the budget's accounting (see the module docstring)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: delta-seconds (fractions tolerated) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    """How patient one call is.

    - `budget_seconds`: total time a call may spend waiting and retrying (setting
      `SYNC_RETRY_BUDGET_SECONDS`, default 5 minutes); then it fails.
    - `base_delay` / `max_delay`: back-off without `Retry-After`: uniform in
      [0, min(max_delay, base_delay * 2**(n-1))] before the n-th retry (full jitter).
    - `max_retry_after`: cap of one honoured `Retry-After` (a vendor asking for an hour
      is still waited on only this long, within the budget).
    """

    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0

    def start(self) -> RetryBudget:
        return RetryBudget(self)


class RetryBudget:
    """The retry state of one call: attempts made and time left, in whole ticks."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.started = time.monotonic()
        self.budget_ticks = math.floor(max(0.0, policy.budget_seconds) * TICKS_PER_SECOND)
        self.waited_ticks = 0
        self.attempts = 1  # the first attempt is under way when the budget starts

    @property
    def waited(self) -> float:
        """Seconds of waiting handed out so far (exact: a sum of whole ticks)."""
        return self.waited_ticks / TICKS_PER_SECOND

    @property
    def elapsed(self) -> float:
        """Seconds spent on this call so far (see the module docstring)."""
        return self._elapsed_ticks() / TICKS_PER_SECOND

    def _elapsed_ticks(self) -> int:
        wall = math.ceil((time.monotonic() - self.started) * TICKS_PER_SECOND)
        return max(wall, self.waited_ticks)

    def next_wait(self, retry_after: float | None = None) -> float | None:
        """Seconds to wait before the next attempt, or None when the budget is spent.

        A `Retry-After` longer than what is left of the budget gives up at once rather
        than retrying early against the vendor's request.
        """
        p = self.policy
        left = self.budget_ticks - self._elapsed_ticks()
        if left <= 0:
            return None
        if retry_after is not None:
            cap = math.floor(p.max_retry_after * TICKS_PER_SECOND)
            ticks = min(math.ceil(max(0.0, retry_after) * TICKS_PER_SECOND), cap)
            if ticks > left:
                return None
        else:
            ceiling = min(p.max_delay, p.base_delay * 2 ** (self.attempts - 1))
            jitter = random.uniform(0, ceiling)  # full jitter
            ticks = min(round(jitter * TICKS_PER_SECOND), left)
        self.attempts += 1
        self.waited_ticks += ticks
        return ticks / TICKS_PER_SECOND
