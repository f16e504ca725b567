"""Relative date literals (TODAY, LAST_N_DAYS:n, THIS_QUARTER ...) as ranges.

Each literal is a range of whole days in the querying user's time zone, from 00:00
on its first day up to, not including, 00:00 after its last day. For a datetime
field the range's ends are converted to UTC; for a date field they stay dates.

The ranges follow Salesforce's SOQL reference: LAST_N_DAYS:n and LAST_90_DAYS
include today (LAST_N_DAYS:1 is yesterday and today), NEXT_N_DAYS:n and NEXT_90_DAYS
start tomorrow, weeks start on Sunday (the en_US locale's first day of the week),
quarters are calendar quarters. The fiscal literals use calendar quarters and
years. That is exact for an org whose fiscal year starts in January, which is
Salesforce's default and the only fiscal setting the emulator has.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DateRange = tuple[date, date]


def _add_months(day: date, months: int) -> date:
    """Return the first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _week_start(today: date) -> date:
    return today - timedelta(days=(today.weekday() + 1) % 7)


def _quarter_start(today: date) -> date:
    return date(today.year, (today.month - 1) // 3 * 3 + 1, 1)


def _days(today: date, first: int, count: int) -> DateRange:
    start = today + timedelta(days=first)
    return start, start + timedelta(days=count)


def _weeks(today: date, first: int, count: int) -> DateRange:
    start = _week_start(today) + timedelta(weeks=first)
    return start, start + timedelta(weeks=count)


def _months(today: date, first: int, count: int) -> DateRange:
    start = _add_months(today.replace(day=1), first)
    return start, _add_months(start, count)


def _quarters(today: date, first: int, count: int) -> DateRange:
    start = _add_months(_quarter_start(today), 3 * first)
    return start, _add_months(start, 3 * count)


def _years(today: date, first: int, count: int) -> DateRange:
    start = date(today.year + first, 1, 1)
    return start, date(start.year + count, 1, 1)


_Unit = Callable[[date, int, int], DateRange]

# Fixed literals: (unit, first unit relative to the current one, number of units).
_FIXED: dict[str, tuple[_Unit, int, int]] = {
    "YESTERDAY": (_days, -1, 1),
    "TODAY": (_days, 0, 1),
    "TOMORROW": (_days, 1, 1),
    "LAST_WEEK": (_weeks, -1, 1),
    "THIS_WEEK": (_weeks, 0, 1),
    "NEXT_WEEK": (_weeks, 1, 1),
    "LAST_MONTH": (_months, -1, 1),
    "THIS_MONTH": (_months, 0, 1),
    "NEXT_MONTH": (_months, 1, 1),
    "LAST_90_DAYS": (_days, -90, 91),
    "NEXT_90_DAYS": (_days, 1, 90),
    "LAST_QUARTER": (_quarters, -1, 1),
    "THIS_QUARTER": (_quarters, 0, 1),
    "NEXT_QUARTER": (_quarters, 1, 1),
    "LAST_YEAR": (_years, -1, 1),
    "THIS_YEAR": (_years, 0, 1),
    "NEXT_YEAR": (_years, 1, 1),
    "LAST_FISCAL_QUARTER": (_quarters, -1, 1),
    "THIS_FISCAL_QUARTER": (_quarters, 0, 1),
    "NEXT_FISCAL_QUARTER": (_quarters, 1, 1),
    "LAST_FISCAL_YEAR": (_years, -1, 1),
    "THIS_FISCAL_YEAR": (_years, 0, 1),
    "NEXT_FISCAL_YEAR": (_years, 1, 1),
}


def _last_n_days(today: date, n: int) -> DateRange:
    return _days(today, -n, n + 1)


# Literals with ``:n``, as functions of today and n.
_PARAMETERIZED: dict[str, Callable[[date, int], DateRange]] = {
    "LAST_N_DAYS": _last_n_days,
    "NEXT_N_DAYS": lambda today, n: _days(today, 1, n),
    "N_DAYS_AGO": lambda today, n: _days(today, -n, 1),
    "LAST_N_WEEKS": lambda today, n: _weeks(today, -n, n),
    "NEXT_N_WEEKS": lambda today, n: _weeks(today, 1, n),
    "N_WEEKS_AGO": lambda today, n: _weeks(today, -n, 1),
    "LAST_N_MONTHS": lambda today, n: _months(today, -n, n),
    "NEXT_N_MONTHS": lambda today, n: _months(today, 1, n),
    "N_MONTHS_AGO": lambda today, n: _months(today, -n, 1),
    "LAST_N_QUARTERS": lambda today, n: _quarters(today, -n, n),
    "NEXT_N_QUARTERS": lambda today, n: _quarters(today, 1, n),
    "N_QUARTERS_AGO": lambda today, n: _quarters(today, -n, 1),
    "LAST_N_YEARS": lambda today, n: _years(today, -n, n),
    "NEXT_N_YEARS": lambda today, n: _years(today, 1, n),
    "N_YEARS_AGO": lambda today, n: _years(today, -n, 1),
    "LAST_N_FISCAL_QUARTERS": lambda today, n: _quarters(today, -n, n),
    "NEXT_N_FISCAL_QUARTERS": lambda today, n: _quarters(today, 1, n),
    "N_FISCAL_QUARTERS_AGO": lambda today, n: _quarters(today, -n, 1),
    "LAST_N_FISCAL_YEARS": lambda today, n: _years(today, -n, n),
    "NEXT_N_FISCAL_YEARS": lambda today, n: _years(today, 1, n),
    "N_FISCAL_YEARS_AGO": lambda today, n: _years(today, -n, 1),
}

FIXED_LITERALS = frozenset(_FIXED)
PARAMETERIZED_LITERALS = frozenset(_PARAMETERIZED)


def user_time_zone(name: str) -> ZoneInfo:
    """Look up an IANA time zone name such as America/Los_Angeles."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {name!r}") from None


def date_range(
    name: str, amount: int | None, now: datetime, zone: ZoneInfo
) -> DateRange:
    """Compute a literal's [first day, day after the last day) in the user's zone."""
    today = now.astimezone(zone).date()
    if amount is None:
        unit, first, count = _FIXED[name]
        return unit(today, first, count)
    return _PARAMETERIZED[name](today, amount)


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of 00:00 on ``day`` in ``zone``.

    Where a zone skips midnight for daylight saving time, zoneinfo's fold=0 rule
    gives the instant the wall clock first shows that day.
    """
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
