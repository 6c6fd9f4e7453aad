"""The retry budget's accounting (connectors/retry.py): the waits handed to one call never
add up past its budget, however they are summed; `Retry-After` is never shortened."""

from __future__ import annotations

import random

from connectors.retry import RetryPolicy


def waits_until_spent(policy: RetryPolicy, retry_after: float | None = None) -> list[float]:
    budget = policy.start()
    waits: list[float] = []
    while (wait := budget.next_wait(retry_after)) is not None:
        waits.append(wait)
    return waits


def test_the_waits_of_consecutive_calls_never_add_up_past_their_budgets() -> None:
    """Jittered back-offs cut to what is left: before, two 5 s calls' waits could sum to
    10.000000000000002 (decimal fractions rounding as they were added)."""
    policy = RetryPolicy(budget_seconds=5, base_delay=1, max_delay=2)
    for seed in range(2000):
        random.seed(seed)
        waits = waits_until_spent(policy) + waits_until_spent(policy)
        assert 0 < sum(waits) <= 10
        assert sum(reversed(waits)) <= 10


def test_a_decimal_budget_is_never_overrun() -> None:
    policy = RetryPolicy(budget_seconds=0.3, base_delay=0.07, max_delay=0.1)
    for seed in range(500):
        random.seed(seed)
        waits = waits_until_spent(policy) * 3
        assert sum(waits) <= 0.9


def test_retry_after_is_honoured_whole_and_the_last_one_that_does_not_fit_gives_up() -> None:
    assert waits_until_spent(RetryPolicy(budget_seconds=3.5), retry_after=1) == [1.0] * 3
    waits = waits_until_spent(RetryPolicy(budget_seconds=1.0), retry_after=0.3)
    assert len(waits) == 3 and all(0.3 <= w < 0.302 for w in waits)  # a 4th would overrun
    assert waits_until_spent(RetryPolicy(budget_seconds=10), retry_after=60) == []


def test_a_retry_after_above_the_cap_is_waited_the_cap_at_most() -> None:
    policy = RetryPolicy(budget_seconds=1, max_retry_after=0.05)
    assert all(w <= 0.05 for w in waits_until_spent(policy, retry_after=5))
