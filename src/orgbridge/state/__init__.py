"""The state store: cursors, links, dead letters and run history, in SQL."""

from orgbridge.state.errors import (
    PairLockedError,
    PairOrgsChangedError,
    StateError,
    StateUrlError,
)
from orgbridge.state.records import (
    CursorPosition,
    DeadLetter,
    DeadLetterState,
    FailedRecord,
    LinkState,
    RunCounts,
    RunRecord,
    SyncedRecord,
)
from orgbridge.state.store import DEFAULT_STATE_URL, StateStore

__all__ = [
    "DEFAULT_STATE_URL",
    "CursorPosition",
    "DeadLetter",
    "DeadLetterState",
    "FailedRecord",
    "LinkState",
    "PairLockedError",
    "PairOrgsChangedError",
    "RunCounts",
    "RunRecord",
    "StateError",
    "StateStore",
    "StateUrlError",
    "SyncedRecord",
]
