"""The parsed form of a SOQL query.

Every node keeps the 0-based offset of its first token in the query text, so that
errors found while resolving fields can point at the right column.
"""

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class FieldPath:
    """A field, directly or through parent relationships: ``Account.Owner.Name``."""

    parts: tuple[str, ...]
    position: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class CountAll:
    """``COUNT()``: the query returns only totalSize."""

    position: int


@dataclass(frozen=True)
class CountField:
    """``COUNT(field) [alias]``: one AggregateResult column."""

    field: FieldPath
    alias: str | None
    position: int


@dataclass(frozen=True)
class Subquery:
    """A child relationship query in the SELECT list."""

    query: "Query"
    position: int


SelectItem = FieldPath | CountAll | CountField | Subquery


@dataclass(frozen=True)
class Literal:
    """A literal value. ``kind`` is string, number, boolean, null, date or datetime."""

    kind: str
    value: str | int | float | bool | date | datetime | None
    position: int
    like_pattern: str | None = None
    uses_like_escape: bool = False


@dataclass(frozen=True)
class RelativeDate:
    """A date literal such as TODAY or LAST_N_DAYS:7 (``amount`` is the n)."""

    name: str
    amount: int | None
    position: int


Value = Literal | RelativeDate


@dataclass(frozen=True)
class Comparison:
    """``field <operator> value`` with one of = != < <= > >= (``<>`` becomes !=)."""

    field: FieldPath
    operator: str
    value: Value


@dataclass(frozen=True)
class InList:
    """``field [NOT] IN (value, ...)``."""

    field: FieldPath
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class Like:
    """``field LIKE 'pattern'``."""

    field: FieldPath
    pattern: Literal


@dataclass(frozen=True)
class Junction:
    """Conditions joined by one connector, AND or OR."""

    connector: str
    operands: tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    """``NOT condition``."""

    operand: "Condition"


Condition = Comparison | InList | Like | Junction | Not


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY key; ``nulls_first`` None means the SOQL default."""

    field: FieldPath
    descending: bool
    nulls_first: bool | None


@dataclass(frozen=True)
class Query:
    """A SELECT statement, top-level or a child subquery."""

    select: tuple[SelectItem, ...]
    sobject: str
    sobject_position: int
    alias: str | None
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
