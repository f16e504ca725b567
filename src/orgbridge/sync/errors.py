"""Errors of the sync engine.

SyncError
 ├── PairConfigError      a [pairs.NAME] table is invalid; the message names the key
 ├── MappingError         one record cannot be mapped; it is dead-lettered locally
 └── BudgetExhaustedError an org's daily API calls left fell below min_api_share
"""


class SyncError(Exception):
    """Root of every error raised by the sync engine."""


class PairConfigError(SyncError):
    """A ``[pairs.NAME]`` table is invalid."""

    def __init__(self, pair: str, key: str, problem: str) -> None:
        where = f"[pairs.{pair}]" if not key else f"[pairs.{pair}] {key}"
        super().__init__(f"{where}: {problem}")
        self.pair = pair
        self.key = key


class MappingError(SyncError):
    """A record that the mapping cannot turn into a target payload."""

    error_code = "MAPPING_ERROR"

    def __init__(self, source_id: str, field: str, problem: str) -> None:
        super().__init__(f"Case {source_id} field {field}: {problem}")
        self.source_id = source_id
        self.field = field
        self.problem = problem


class BudgetExhaustedError(SyncError):
    """An org's daily API calls left fell below the pair's ``min_api_share``."""

    def __init__(self, org: str, used: int, maximum: int, min_share: float) -> None:
        left = max(maximum - used, 0)
        super().__init__(
            f"org {org!r} has {left} of {maximum} daily API calls left, below "
            f"min_api_share = {min_share:.2f}; stopped before the next batch, rerun "
            "when the rolling 24-hour usage has dropped"
        )
        self.org = org
        self.used = used
        self.maximum = maximum
        self.min_share = min_share
