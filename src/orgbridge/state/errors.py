"""Errors of the state store.

StateError
 ├── StateUrlError       the state URL is invalid or its database cannot be opened
 ├── PairLockedError     another run holds the pair's lease
 └── PairOrgsChangedError  the config names other orgs than the pair's state
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


class PairOrgsChangedError(StateError):
    """The config names other source or target orgs than the pair's stored state.

    Links and the cursor are stored per pair name and point at records of the
    stored orgs, so reusing them for other orgs would skip every Case already
    synced to the old target.
    """

    def __init__(
        self,
        pair: str,
        stored: tuple[str, str],
        configured: tuple[str, str],
    ) -> None:
        super().__init__(
            f"pair {pair!r}: its state belongs to orgs {stored[0]} -> {stored[1]}, "
            f"but the config names {configured[0]} -> {configured[1]}; to sync to "
            "the new orgs, give the pair a new name, or delete this pair's state"
        )
        self.pair = pair
        self.stored = stored
        self.configured = configured
