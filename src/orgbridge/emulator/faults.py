"""Faults injected into an emulated org's responses, for drills and benchmarks.

One ``FaultInjector`` per org draws every decision from its own random generator, so a
``FaultConfig`` with a ``seed`` replays the same faults for the same request sequence.
The injector is used from the server's event-loop thread only and is not locked.
"""

import logging
import random

from orgbridge.emulator.config import FaultConfig

logger = logging.getLogger(__name__)

SERVER_UNAVAILABLE = "SERVER_UNAVAILABLE"
REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"


class FaultConfigError(ValueError):
    """A fault setting out of range, with the setting's name in the message."""


def validate_fault_config(config: FaultConfig) -> None:
    """Raise FaultConfigError unless every rate is in [0, 1] and counts are positive."""
    rates = {
        "server_unavailable_rate": config.server_unavailable_rate,
        "unable_to_lock_row_rate": config.unable_to_lock_row_rate,
        "request_limit_exceeded_rate": config.request_limit_exceeded_rate,
        "drop_after_commit_rate": config.drop_after_commit_rate,
    }
    for name, rate in rates.items():
        if not _is_number(rate):
            raise FaultConfigError(f"{name} must be a number, got {rate!r}")
        if not 0.0 <= rate <= 1.0:
            raise FaultConfigError(f"{name} must be between 0 and 1, got {rate!r}")

    if not _is_number(config.latency_ms) or config.latency_ms < 0:
        raise FaultConfigError(f"latency_ms must be >= 0, got {config.latency_ms!r}")
    after = config.token_expiry_after_calls
    if after is not None and (not isinstance(after, int) or after < 1):
        raise FaultConfigError(f"token_expiry_after_calls must be >= 1, got {after!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class FaultInjector:
    """Decides, request by request, which configured fault to inject."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)
        self._calls_since_expiry = 0
        validate_fault_config(config)

    def configure(self, config: FaultConfig) -> None:
        """Replace the fault settings and restart the random sequence and call count."""
        validate_fault_config(config)
        self.config = config
        self._random = random.Random(config.seed)
        self._calls_since_expiry = 0
        logger.info("fault settings changed: %s", config)

    def latency_seconds(self) -> float:
        """Return the delay to add before responding to a request, in seconds."""
        return self.config.latency_ms / 1000.0

    def request_fault(self) -> str | None:
        """Return the errorCode of a fault to respond to this request with, or None.

        SERVER_UNAVAILABLE is drawn first, then REQUEST_LIMIT_EXCEEDED, each with its
        own rate.
        """
        if self._draw(self.config.server_unavailable_rate):
            return SERVER_UNAVAILABLE
        if self._draw(self.config.request_limit_exceeded_rate):
            return REQUEST_LIMIT_EXCEEDED
        return None

    def lock_row_fault(self) -> bool:
        """Tell whether one record write fails with UNABLE_TO_LOCK_ROW."""
        return self._draw(self.config.unable_to_lock_row_rate)

    def drop_after_commit(self) -> bool:
        """Tell whether to drop this request's connection after its write commits."""
        return self._draw(self.config.drop_after_commit_rate)

    def count_call_and_check_token_expiry(self) -> bool:
        """Count one API call; True every ``token_expiry_after_calls`` calls.

        On True the caller expires every access token of the org, so this request
        and the ones after it get 401 until the client gets a new token.
        """
        after = self.config.token_expiry_after_calls
        if after is None:
            return False

        self._calls_since_expiry += 1
        if self._calls_since_expiry < after:
            return False
        self._calls_since_expiry = 0
        return True

    def _draw(self, rate: float) -> bool:
        if rate <= 0.0:
            return False
        return self._random.random() < rate
