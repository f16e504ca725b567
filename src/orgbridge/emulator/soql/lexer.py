"""Split SOQL text into tokens, decoding string escapes and date literals.

String escapes follow Salesforce's SOQL reference: ``\\n \\r \\t \\b \\f`` (either
case), ``\\" \\' \\\\``, ``\\uXXXX``, and ``\\_ \\%``, which match a literal underscore
or percent sign and are valid only in a LIKE pattern. Any other backslash is an
error. Date and datetime literals are unquoted: ``2024-01-01`` and
``2024-01-01T10:00:00Z``, ``...+02:00``, ``...-08:00``, optionally with fractional
seconds.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from orgbridge.emulator.soql.errors import (
    MALFORMED_QUERY,
    SoqlError,
    positioned_message,
)

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?![\w:])")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?![\w.])")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCTUATION = "(),.:"
_SIMPLE_ESCAPES = {
    "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f",
    '"': '"', "'": "'", "\\": "\\",
}  # fmt: skip


@dataclass(frozen=True)
class Token:
    """One token: its kind, source text, decoded value and 1-based column.

    Kinds: IDENT, STRING, NUMBER, DATE, DATETIME, OP, PUNCT, EOF. A STRING's value
    is the decoded text and ``like_pattern`` the same text as a SQL LIKE pattern
    whose escape character is a backslash.
    """

    kind: str
    text: str
    value: Any
    position: int
    like_pattern: str | None = None
    uses_like_escape: bool = False

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokenize(soql: str) -> list[Token]:
    """Split a query into tokens, ending with an EOF token."""
    tokens: list[Token] = []
    position = 0
    length = len(soql)

    while position < length:
        char = soql[position]
        if char.isspace():
            position += 1
            continue
        token = _next_token(soql, position)
        tokens.append(token)
        position += len(token.text)

    tokens.append(Token("EOF", "", None, length))
    return tokens


def _next_token(soql: str, position: int) -> Token:
    char = soql[position]
    if char == "'":
        return _string_token(soql, position)
    if char.isdigit():
        temporal = _temporal_token(soql, position)
        if temporal is not None:
            return temporal
    if char.isdigit() or char in "+-.":
        match = _NUMBER.match(soql, position)
        if match and (char != "." or soql[position + 1 : position + 2].isdigit()):
            return _number_token(match.group(), position)
    match = _IDENTIFIER.match(soql, position)
    if match:
        return Token("IDENT", match.group(), match.group(), position)
    for operator in _OPERATORS:
        if soql.startswith(operator, position):
            return Token("OP", operator, operator, position)
    if char in _PUNCTUATION:
        return Token("PUNCT", char, char, position)
    raise syntax_error(soql, position, f"unexpected token: '{char}'")


def _number_token(text: str, position: int) -> Token:
    is_integer = "." not in text
    value: int | float = int(text) if is_integer else float(text)
    return Token("NUMBER", text, value, position)


def _temporal_token(soql: str, position: int) -> Token | None:
    match = _DATETIME.match(soql, position)
    if match:
        return Token("DATETIME", match.group(), _parse_datetime(soql, match), position)
    match = _DATE.match(soql, position)
    if match:
        try:
            value = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise syntax_error(
                soql, position, f"invalid date: {match.group()}"
            ) from None
        return Token("DATE", match.group(), value, position)
    return None


def _parse_datetime(soql: str, match: re.Match[str]) -> datetime:
    text = match.group()
    iso = text[:-1] + "+00:00" if text.endswith("Z") else text
    if iso[-3] != ":":
        iso = iso[:-2] + ":" + iso[-2:]
    try:
        return datetime.fromisoformat(iso).astimezone(UTC)
    except ValueError:
        raise syntax_error(soql, match.start(), f"invalid datetime: {text}") from None


def _string_token(soql: str, start: int) -> Token:
    value: list[str] = []
    pattern: list[str] = []
    uses_like_escape = False
    position = start + 1

    while position < len(soql):
        char = soql[position]
        if char == "'":
            text = soql[start : position + 1]
            decoded = "".join(value)
            like = "".join(pattern)
            return Token("STRING", text, decoded, start, like, uses_like_escape)
        if char != "\\":
            value.append(char)
            pattern.append("\\" + char if char == "\\" else char)
            position += 1
            continue
        decoded, literal_in_like, consumed = _escape(soql, position)
        uses_like_escape = uses_like_escape or soql[position + 1] in "_%"
        value.append(decoded)
        pattern.append(literal_in_like)
        position += consumed

    raise syntax_error(soql, start, "unterminated string literal")


def _escape(soql: str, position: int) -> tuple[str, str, int]:
    """Decode the escape at ``position``: (value text, LIKE pattern text, length)."""
    code = soql[position + 1 : position + 2]
    if code.lower() in _SIMPLE_ESCAPES and code not in ('"', "'", "\\"):
        decoded = _SIMPLE_ESCAPES[code.lower()]
        return decoded, decoded, 2
    if code in ('"', "'"):
        return code, code, 2
    if code == "\\":
        return "\\", "\\\\", 2
    if code in ("_", "%"):
        return code, "\\" + code, 2
    if code == "u":
        digits = soql[position + 2 : position + 6]
        if re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
            decoded = chr(int(digits, 16))
            return decoded, "\\" + decoded if decoded in "%_\\" else decoded, 6
    raise syntax_error(
        soql,
        position,
        "Invalid string literal. Only \\n \\r \\t \\b \\f \\\" \\' \\\\ \\uXXXX, and "
        "\\_ \\% in LIKE patterns, may follow a backslash",
    )


def syntax_error(soql: str, position: int, text: str) -> SoqlError:
    """Build a MALFORMED_QUERY error pointing at a 0-based offset of the query."""
    return SoqlError(MALFORMED_QUERY, positioned_message(soql, position, text))
