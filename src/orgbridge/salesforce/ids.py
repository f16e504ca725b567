"""Salesforce record Ids: the 15-character form and its 18-character case-safe form.

An 18-character Id is the 15-character, case-sensitive Id followed by three characters
that encode which of its letters are upper case, so the longer form survives
case-insensitive systems. The first three characters are the object's key prefix
(500 for Case, 005 for User).
"""

import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_PATTERN = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


class InvalidIdError(ValueError):
    """A value that is not a 15- or 18-character Salesforce Id."""

    def __init__(self, value: str) -> None:
        super().__init__(f"invalid Salesforce Id: {value!r}")
        self.value = value


def case_safe_suffix(id15: str) -> str:
    """Compute the three-character suffix that makes a 15-character Id case-safe."""
    suffix = ""
    for start in range(0, 15, 5):
        bits = 0
        for position, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def to_18(value: str) -> str:
    """Return the 18-character form of a 15- or 18-character Id.

    An 18-character Id has its suffix recomputed from its first 15 characters, because
    the suffix, not the case of the letters, is what a case-insensitive copy preserves.
    Raises InvalidIdError for anything else.
    """
    if not _ID_PATTERN.match(value):
        raise InvalidIdError(value)

    id15 = value[:15]
    return id15 + case_safe_suffix(id15)


def to_15(value: str) -> str:
    """Return the case-sensitive 15-character form of a 15- or 18-character Id."""
    if not _ID_PATTERN.match(value):
        raise InvalidIdError(value)
    return value[:15]


def is_valid_id(value: str) -> bool:
    """Tell whether a value has the shape of a 15- or 18-character Id."""
    return bool(_ID_PATTERN.match(value))


def make_id(key_prefix: str, pod: str, sequence: int) -> str:
    """Build an 18-character Id from a key prefix, a 2-character pod and a counter.

    Real Ids carry an instance and a base-62 serial after the key prefix; this keeps
    that layout: prefix (3) + pod (2) + zero (1) + base-62 serial (9) + suffix (3).
    """
    if len(key_prefix) != 3 or len(pod) != 2:
        raise ValueError("key prefix must have 3 characters and pod 2")
    if sequence < 0 or sequence >= 62**9:
        raise ValueError(f"Id sequence out of range: {sequence}")

    serial = ""
    remaining = sequence
    for _ in range(9):
        remaining, digit = divmod(remaining, 62)
        serial = _BASE62[digit] + serial
    return to_18(f"{key_prefix}{pod}0{serial}")
