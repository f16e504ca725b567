"""Translate a WHERE condition into parameterized SQL.

SOQL semantics kept here, all as SQL (nothing is filtered in Python):
- text comparisons ignore case (SQLite's NOCASE folds ASCII letters only);
- ``!=`` and NOT IN also match NULL, as in Salesforce, and ``= null`` / ``!= null``
  test for NULL;
- Ids compare in their 18-character form, so 15-character literals match;
- a date literal such as TODAY is a range: ``=`` means within it, ``<`` before
  its start, ``>`` after its end;
- NOT applies to a condition that is false, not unknown, where a field is NULL.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from orgbridge.emulator.soql.ast import (
    Comparison,
    Condition,
    FieldPath,
    InList,
    Junction,
    Like,
    Literal,
    Not,
    RelativeDate,
)
from orgbridge.emulator.soql.dates import date_range, local_midnight_utc
from orgbridge.emulator.soql.errors import (
    INVALID_FIELD,
    MALFORMED_QUERY,
    SoqlError,
    positioned_message,
)
from orgbridge.emulator.soql.resolver import TEXT_COLLATION, ResolvedField, Resolver
from orgbridge.salesforce.datetimes import format_datetime
from orgbridge.salesforce.ids import is_valid_id, to_18

INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"
_LITERAL_KINDS = {
    "boolean": ("boolean", "boolean"),
    "int": ("number", "integer"),
    "double": ("number", "double"),
    "currency": ("number", "currency"),
    "percent": ("number", "percent"),
    "date": ("date", "date"),
    "datetime": ("datetime", "dateTime"),
}
_RANGE_SQL = {
    "=": "({column} >= ? AND {column} < ?)",
    "!=": "({column} IS NULL OR {column} < ? OR {column} >= ?)",
    "<": "{column} < ?",
    "<=": "{column} < ?",
    ">": "{column} >= ?",
    ">=": "{column} >= ?",
}


@dataclass
class FilterTranslator:
    """Build SQL for conditions, appending bound values to ``params``."""

    soql: str
    resolver: Resolver
    now: datetime
    zone: ZoneInfo
    params: list[object] = field(default_factory=list)

    def translate(self, condition: Condition) -> str:
        """Return the SQL for a condition; its values are appended to params."""
        handlers: dict[type, Callable[[Condition], str]] = {
            Comparison: self._comparison,  # type: ignore[dict-item]
            InList: self._in_list,  # type: ignore[dict-item]
            Like: self._like,  # type: ignore[dict-item]
            Junction: self._junction,  # type: ignore[dict-item]
            Not: self._not,  # type: ignore[dict-item]
        }
        return handlers[type(condition)](condition)

    def _junction(self, junction: Junction) -> str:
        parts = [self.translate(operand) for operand in junction.operands]
        return "(" + f" {junction.connector} ".join(parts) + ")"

    def _not(self, negation: Not) -> str:
        return f"NOT COALESCE({self.translate(negation.operand)}, 0)"

    def _filterable(self, path: FieldPath) -> ResolvedField:
        resolved = self.resolver.resolve(path)
        if not resolved.field.describe.get("filterable", True):
            raise self._error(
                INVALID_FIELD,
                path.position,
                f"field '{resolved.name}' can not be filtered in a query call",
            )
        return resolved

    def _comparison(self, comparison: Comparison) -> str:
        resolved = self._filterable(comparison.field)
        column = resolved.sql
        operator = comparison.operator
        value = comparison.value

        if isinstance(value, RelativeDate):
            return self._range(resolved, operator, value)
        if value.kind == "null":
            if operator not in ("=", "!="):
                raise self._error(
                    MALFORMED_QUERY,
                    value.position,
                    "null can only be compared with = or !=",
                )
            return f"{column} IS {'NOT ' if operator == '!=' else ''}NULL"

        self.params.append(self._bind(resolved, value))
        collation = TEXT_COLLATION if resolved.is_text else ""
        if operator == "!=":
            return f"{column} IS NOT ?{collation}"
        return f"{column} {operator} ?{collation}"

    def _range(
        self, resolved: ResolvedField, operator: str, value: RelativeDate
    ) -> str:
        if resolved.type not in ("date", "datetime"):
            raise self._type_error(resolved, value.position)

        start, end = date_range(value.name, value.amount, self.now, self.zone)
        if resolved.type == "datetime":
            bounds = [
                format_datetime(local_midnight_utc(day, self.zone))
                for day in (start, end)
            ]
        else:
            bounds = [start.isoformat(), end.isoformat()]

        used = {"=": bounds, "!=": bounds, "<": bounds[:1], ">=": bounds[:1]}.get(
            operator, bounds[1:]
        )
        self.params.extend(used)
        return _RANGE_SQL[operator].format(column=resolved.sql)

    def _in_list(self, in_list: InList) -> str:
        resolved = self._filterable(in_list.field)
        column = resolved.sql
        has_null = False
        bound: list[object] = []
        for value in in_list.values:
            if isinstance(value, RelativeDate):
                raise self._error(
                    MALFORMED_QUERY,
                    value.position,
                    "A date literal such as TODAY inside IN is not supported by "
                    "the orgbridge emulator",
                )
            if value.kind == "null":
                has_null = True
            else:
                bound.append(self._bind(resolved, value))

        self.params.extend(bound)
        collation = TEXT_COLLATION if resolved.is_text else ""
        placeholders = ", ".join("?" for _ in bound)
        keyword = "NOT IN" if in_list.negated else "IN"
        test = f"{column}{collation} {keyword} ({placeholders})" if bound else None
        if not in_list.negated:
            tests = [t for t in (test, f"{column} IS NULL" if has_null else None) if t]
            return "(" + " OR ".join(tests) + ")"
        if has_null:
            tests = [t for t in (f"{column} IS NOT NULL", test) if t]
            return "(" + " AND ".join(tests) + ")"
        return f"({column} IS NULL OR {test})"

    def _like(self, like: Like) -> str:
        resolved = self._filterable(like.field)
        if not resolved.is_text and resolved.type not in ("id", "reference"):
            raise self._error(
                INVALID_FIELD,
                like.field.position,
                f"invalid operator on {resolved.type} field: {resolved.name} LIKE",
            )
        self.params.append(like.pattern.like_pattern)
        return f"{resolved.sql} LIKE ? ESCAPE '\\'"

    def _bind(self, resolved: ResolvedField, value: Literal) -> object:
        """Convert a literal to the stored form of the field's values."""
        if value.uses_like_escape:
            raise self._error(
                MALFORMED_QUERY,
                value.position,
                "The escapes \\_ and \\% are valid only in a LIKE pattern",
            )
        expected_kind, _ = _LITERAL_KINDS.get(resolved.type, ("string", ""))
        if value.kind != expected_kind:
            raise self._type_error(resolved, value.position)

        if resolved.type in ("id", "reference"):
            text = str(value.value)
            if not is_valid_id(text):
                raise SoqlError(
                    INVALID_QUERY_FILTER_OPERATOR, f"invalid ID field: {text}"
                )
            return to_18(text)
        if isinstance(value.value, bool):
            return int(value.value)
        if isinstance(value.value, datetime):
            return format_datetime(value.value)
        if isinstance(value.value, date):
            return value.value.isoformat()
        return value.value

    def _type_error(self, resolved: ResolvedField, position: int) -> SoqlError:
        _, type_name = _LITERAL_KINDS.get(resolved.type, ("string", "string"))
        quoting = (
            "should be enclosed in quotes"
            if type_name == "string"
            else "should not be enclosed in quotes"
        )
        return self._error(
            INVALID_FIELD,
            position,
            f"value of filter criterion for field '{resolved.name}' must be of "
            f"type {type_name} and {quoting}",
        )

    def _error(self, code: str, position: int, text: str) -> SoqlError:
        return SoqlError(code, positioned_message(self.soql, position, text))
