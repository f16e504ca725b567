"""Salesforce's datetime formats on the wire and in SOQL.

REST responses carry datetimes as ``2024-01-01T10:00:00.000+0000``: always UTC, with
milliseconds and an offset without a colon. SOQL takes unquoted literals such as
``2024-01-01T10:00:00Z``.
"""

from datetime import UTC, datetime


def format_datetime(value: datetime) -> str:
    """Format a datetime as a REST response does (UTC, milliseconds, +0000)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: Salesforce datetimes carry a time zone")

    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse a datetime from a REST response or an ISO 8601 string into aware UTC.

    Accepts ``+0000`` and ``+00:00`` offsets and a trailing ``Z``. Raises ValueError
    for text that is not a datetime with a time zone.
    """
    normalized = text.strip()
    if normalized.endswith("Z"):
        normalized = normalized[:-1] + "+00:00"
    elif len(normalized) > 5 and normalized[-5] in "+-" and normalized[-3] != ":":
        normalized = normalized[:-2] + ":" + normalized[-2:]

    parsed = datetime.fromisoformat(normalized)
    if parsed.tzinfo is None:
        raise ValueError(f"datetime without a time zone: {text!r}")
    return parsed.astimezone(UTC)


def soql_literal(value: datetime) -> str:
    """Format a datetime as an unquoted SOQL literal in UTC, e.g. 2024-01-01T10:00:00Z.

    SOQL datetime literals have whole seconds, so a value with milliseconds is
    truncated; callers that need a strict bound must compensate (compare with >=).
    """
    if value.tzinfo is None:
        raise ValueError("naive datetime: SOQL literals need a time zone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)
