"""RetryPolicy: how often and how long to wait before sending a request again.

The REST session decides which failures are safe to retry (see ``rest.py``). This
module counts attempts and computes delays with exponential backoff and full jitter:
a uniform random wait between 0 and min(cap, base * 2 ** (attempt - 1)) seconds.
"""

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits. ``max_attempts`` counts the first try (1 means never retry)."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")

    @classmethod
    def without_sleeping(cls, max_attempts: int = 5) -> "RetryPolicy":
        """Build a policy that retries at once, for tests."""
        return cls(max_attempts=max_attempts, sleep=_no_sleep)

    @classmethod
    def never(cls) -> "RetryPolicy":
        """Build a policy that sends every request once."""
        return cls(max_attempts=1)

    def delay(self, attempt: int) -> float:
        """Return the wait in seconds after failed attempt number ``attempt``."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self.rng.uniform(0, ceiling)

    def can_retry(self, attempt: int) -> bool:
        """Return whether another attempt may follow attempt number ``attempt``."""
        return attempt < self.max_attempts


class RetryTracker:
    """Retries made by one client, counted per reason (e.g. "UNABLE_TO_LOCK_ROW")."""

    def __init__(self, policy: RetryPolicy, connection: str) -> None:
        self.policy = policy
        self.connection = connection
        self.counts: Counter[str] = Counter()

    async def wait(self, reason: str, attempt: int, request_label: str) -> None:
        """Count and log a retry of ``request_label``, then sleep the backoff delay."""
        self.counts[reason] += 1
        delay = self.policy.delay(attempt)
        logger.info(
            "connection %s: retrying %s after %s (attempt %d of %d, waiting %.2fs)",
            self.connection,
            request_label,
            reason,
            attempt + 1,
            self.policy.max_attempts,
            delay,
        )
        await self.policy.sleep(delay)
