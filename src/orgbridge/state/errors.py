"""Errors of the state store.

StateError
 ├── StateUrlError      the state URL is invalid or its database cannot be opened
 └── PairLockedError    another run holds the pair's lease
"""


class StateError(Exception):
    """Root of every error raised by the state store."""


class StateUrlError(StateError):
    """The state URL is invalid or its database cannot be opened."""


class PairLockedError(StateError):
    """Another run holds the lease on a pair."""

    def __init__(self, pair: str, owner: str, expires_at: str) -> None:
        super().__init__(
            f"pair {pair!r} is locked by another run ({owner}) until {expires_at}; "
            "wait for it to finish or for the lease to expire"
        )
        self.pair = pair
        self.owner = owner
        self.expires_at = expires_at
