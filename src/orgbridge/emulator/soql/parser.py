"""Parse SOQL text into the query AST, rejecting what the emulator does not run.

A recursive descent parser over the lexer's tokens. Keywords are case-insensitive.
Every feature the emulator does not implement (GROUP BY, HAVING, TYPEOF, WITH,
FOR UPDATE, semi-joins, functions other than COUNT) is rejected with
MALFORMED_QUERY naming it, so that no query gets a silently wrong result.
"""

from orgbridge.emulator.soql.ast import (
    Comparison,
    Condition,
    CountAll,
    CountField,
    FieldPath,
    InList,
    Junction,
    Like,
    Literal,
    Not,
    OrderItem,
    Query,
    RelativeDate,
    SelectItem,
    Subquery,
    Value,
)
from orgbridge.emulator.soql.dates import FIXED_LITERALS, PARAMETERIZED_LITERALS
from orgbridge.emulator.soql.errors import SoqlError
from orgbridge.emulator.soql.lexer import Token, syntax_error, tokenize

MAX_OFFSET = 2000
_CLAUSE_KEYWORDS = frozenset(
    {"FROM", "WHERE", "WITH", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FOR",
     "UPDATE", "USING", "AND", "OR", "NOT", "ASC", "DESC", "NULLS", "IN", "LIKE",
     "SELECT", "INCLUDES", "EXCLUDES", "TYPEOF"}
)  # fmt: skip
_UNSUPPORTED_CLAUSES = {
    "WITH": "WITH",
    "GROUP": "GROUP BY",
    "HAVING": "HAVING",
    "FOR": "FOR VIEW, FOR REFERENCE and FOR UPDATE",
    "UPDATE": "UPDATE TRACKING and UPDATE VIEWSTAT",
    "USING": "USING SCOPE",
}
_OPERATORS = {"=": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">",
              ">=": ">="}  # fmt: skip


def unsupported(soql: str, position: int, feature: str) -> SoqlError:
    """Build the MALFORMED_QUERY error for a SOQL feature the emulator lacks."""
    return syntax_error(
        soql, position, f"{feature} is not supported by the orgbridge emulator"
    )


def parse(soql: str) -> Query:
    """Parse one SOQL query; raise SoqlError(MALFORMED_QUERY) for bad syntax."""
    stripped = soql.lstrip()
    if stripped[:4].upper() == "FIND":
        raise unsupported(soql, len(soql) - len(stripped), "SOSL (FIND)")
    parser = _Parser(soql, tokenize(soql))
    query = parser.query(top_level=True)
    parser.expect_end()
    return query


class _Parser:
    def __init__(self, soql: str, tokens: list[Token]) -> None:
        self.soql = soql
        self.tokens = tokens
        self.index = 0

    # Token helpers.

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "EOF":
            self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        return self.token.kind == "IDENT" and self.token.upper in words

    def at_punct(self, char: str) -> bool:
        return self.token.kind == "PUNCT" and self.token.text == char

    def error(self, token: Token | None = None, text: str | None = None) -> SoqlError:
        token = token or self.token
        if text is None:
            shown = "EOF" if token.kind == "EOF" else token.text
            text = f"unexpected token: '{shown}'"
        return syntax_error(self.soql, token.position, text)

    def expect_keyword(self, word: str) -> Token:
        if not self.at_keyword(word):
            raise self.error()
        return self.advance()

    def expect_punct(self, char: str) -> Token:
        if not self.at_punct(char):
            raise self.error()
        return self.advance()

    def expect_identifier(self) -> Token:
        if self.token.kind != "IDENT" or self.token.upper in _CLAUSE_KEYWORDS:
            raise self.error()
        return self.advance()

    def expect_end(self) -> None:
        if self.token.kind != "EOF":
            self.reject_unsupported_clause()
            raise self.error()

    def reject_unsupported_clause(self) -> None:
        if self.token.kind == "IDENT" and self.token.upper in _UNSUPPORTED_CLAUSES:
            feature = _UNSUPPORTED_CLAUSES[self.token.upper]
            raise unsupported(self.soql, self.token.position, feature)

    # Statement.

    def query(self, *, top_level: bool) -> Query:
        self.expect_keyword("SELECT")
        select = self.select_list(top_level=top_level)
        self.expect_keyword("FROM")
        sobject = self.advance()
        if sobject.kind != "IDENT":
            raise self.error(sobject)
        alias = None
        if self.token.kind == "IDENT" and self.token.upper not in _CLAUSE_KEYWORDS:
            alias = self.advance().text

        where = None
        if self.at_keyword("WHERE"):
            self.advance()
            where = self.condition()
        self.reject_unsupported_clause()
        order_by = self.order_by() if self.at_keyword("ORDER") else ()
        limit = self.integer_clause("LIMIT")
        offset = self.integer_clause("OFFSET")
        self.reject_unsupported_clause()

        return Query(
            select=tuple(select),
            sobject=sobject.text,
            sobject_position=sobject.position,
            alias=alias,
            where=where,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )

    def integer_clause(self, keyword: str) -> int | None:
        if not self.at_keyword(keyword):
            return None
        self.advance()
        token = self.advance()
        if token.kind != "NUMBER" or not isinstance(token.value, int):
            raise self.error(token)
        if token.value < 0:
            raise self.error(token)
        if keyword == "OFFSET" and token.value > MAX_OFFSET:
            raise SoqlError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"Maximum SOQL offset allowed is {MAX_OFFSET}",
            )
        return token.value

    # SELECT list.

    def select_list(self, *, top_level: bool) -> list[SelectItem]:
        items = [self.select_item(top_level=top_level)]
        while self.at_punct(","):
            self.advance()
            items.append(self.select_item(top_level=top_level))
        return items

    def select_item(self, *, top_level: bool) -> SelectItem:
        start = self.token
        if self.at_punct("("):
            if not top_level:
                raise self.error(
                    start, "nested child subqueries are not supported by SOQL"
                )
            self.advance()
            subquery = self.query(top_level=False)
            self.expect_punct(")")
            return Subquery(subquery, start.position)
        if self.at_keyword("TYPEOF"):
            raise unsupported(self.soql, start.position, "TYPEOF")

        name = self.expect_identifier()
        if self.at_punct("("):
            return self.function(name)
        return self.field_path_after(name)

    def function(self, name: Token) -> CountAll | CountField:
        if name.upper != "COUNT":
            raise unsupported(
                self.soql, name.position, f"The function {name.text.upper()}()"
            )
        self.expect_punct("(")
        if self.at_punct(")"):
            self.advance()
            return CountAll(name.position)

        field = self.field_path_after(self.expect_identifier())
        self.expect_punct(")")
        alias = None
        if self.token.kind == "IDENT" and self.token.upper not in _CLAUSE_KEYWORDS:
            alias = self.advance().text
        return CountField(field, alias, name.position)

    def field_path(self) -> FieldPath:
        first = self.expect_identifier()
        if self.at_punct("("):
            raise unsupported(
                self.soql, first.position, f"The function {first.text.upper()}()"
            )
        return self.field_path_after(first)

    def field_path_after(self, first: Token) -> FieldPath:
        parts = [first.text]
        while self.at_punct("."):
            self.advance()
            parts.append(self.expect_identifier().text)
        return FieldPath(tuple(parts), first.position)

    # WHERE.

    def condition(self) -> Condition:
        operands = [self.unary_condition()]
        connector: str | None = None
        while self.at_keyword("AND", "OR"):
            word = self.token.upper
            if connector is not None and word != connector:
                # SOQL requires parentheses when AND and OR are mixed.
                raise self.error()
            connector = word
            self.advance()
            operands.append(self.unary_condition())
        if connector is None:
            return operands[0]
        return Junction(connector, tuple(operands))

    def unary_condition(self) -> Condition:
        if self.at_keyword("NOT"):
            self.advance()
            return Not(self.unary_condition())
        if self.at_punct("("):
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.simple_condition()

    def simple_condition(self) -> Condition:
        field = self.field_path()
        token = self.token

        if token.kind == "OP":
            self.advance()
            return Comparison(field, _OPERATORS[token.text], self.value())
        if self.at_keyword("LIKE"):
            self.advance()
            pattern = self.advance()
            if pattern.kind != "STRING":
                raise self.error(pattern)
            return Like(field, _literal(pattern))
        if self.at_keyword("NOT") or self.at_keyword("IN"):
            negated = self.at_keyword("NOT")
            if negated:
                self.advance()
            self.expect_keyword("IN")
            return InList(field, self.value_list(), negated)
        if self.at_keyword("INCLUDES", "EXCLUDES"):
            raise unsupported(self.soql, token.position, token.upper)
        raise self.error()

    def value_list(self) -> tuple[Value, ...]:
        self.expect_punct("(")
        if self.at_keyword("SELECT"):
            raise unsupported(
                self.soql, self.token.position, "A semi-join or anti-join subquery"
            )
        values = [self.value()]
        while self.at_punct(","):
            self.advance()
            values.append(self.value())
        self.expect_punct(")")
        return tuple(values)

    def value(self) -> Value:
        token = self.advance()
        if token.kind in ("STRING", "NUMBER", "DATE", "DATETIME"):
            return _literal(token)
        if token.kind != "IDENT":
            raise self.error(token)

        word = token.upper
        if word in ("TRUE", "FALSE"):
            return Literal("boolean", word == "TRUE", token.position)
        if word == "NULL":
            return Literal("null", None, token.position)
        if word in FIXED_LITERALS:
            return RelativeDate(word, None, token.position)
        if word in PARAMETERIZED_LITERALS:
            self.expect_punct(":")
            amount = self.advance()
            if amount.kind != "NUMBER" or not isinstance(amount.value, int):
                raise self.error(amount)
            return RelativeDate(word, amount.value, token.position)
        if self.at_punct("("):
            raise unsupported(self.soql, token.position, f"The function {word}()")
        raise self.error(token)

    # ORDER BY.

    def order_by(self) -> tuple[OrderItem, ...]:
        self.expect_keyword("ORDER")
        self.expect_keyword("BY")
        items = [self.order_item()]
        while self.at_punct(","):
            self.advance()
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        field = self.field_path()
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.advance().upper == "DESC"
        nulls_first = None
        if self.at_keyword("NULLS"):
            self.advance()
            if not self.at_keyword("FIRST", "LAST"):
                raise self.error()
            nulls_first = self.advance().upper == "FIRST"
        return OrderItem(field, descending, nulls_first)


def _literal(token: Token) -> Literal:
    kinds = {"STRING": "string", "NUMBER": "number", "DATE": "date",
             "DATETIME": "datetime"}  # fmt: skip
    return Literal(
        kinds[token.kind],
        token.value,
        token.position,
        token.like_pattern,
        token.uses_like_escape,
    )
