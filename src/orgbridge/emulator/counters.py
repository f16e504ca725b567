"""Counts of an emulated org's API calls and record writes, for tests and benchmarks.

API calls are counted per endpoint family ("query", "sobjects", "composite", ...) and
in total; the total is also the org's daily API usage that ``Sforce-Limit-Info`` and
the limits resource report. Record writes come from the record store, through the
source set with ``track_records_written``. Used from the event-loop thread only.
"""

from collections import Counter
from collections.abc import Callable
from typing import Any


class Counters:
    """API calls by endpoint family and in total, and records written since reset."""

    def __init__(self) -> None:
        self.calls_by_endpoint: Counter[str] = Counter()
        self.total_calls = 0
        self._records_written_source: Callable[[], int] = lambda: 0
        self._records_written_baseline = 0

    def track_records_written(self, source: Callable[[], int]) -> None:
        """Read records written from ``source`` (the store's running count) from now."""
        self._records_written_source = source
        self._records_written_baseline = source()

    @property
    def records_written(self) -> int:
        """Records written since the last reset."""
        return self._records_written_source() - self._records_written_baseline

    def count_call(self, endpoint: str) -> None:
        """Count one API call to an endpoint family."""
        self.calls_by_endpoint[endpoint] += 1
        self.total_calls += 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counts as a JSON-ready dict."""
        return {
            "total_calls": self.total_calls,
            "calls_by_endpoint": dict(sorted(self.calls_by_endpoint.items())),
            "records_written": self.records_written,
        }

    def reset(self) -> None:
        """Set every count, the daily API usage included, back to zero."""
        self.calls_by_endpoint.clear()
        self.total_calls = 0
        self._records_written_baseline = self._records_written_source()
