"""The error the SOQL engine raises, with Salesforce's error codes.

SoqlError (ValueError)
    error_code is MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE or
    INVALID_QUERY_LOCATOR, and for the filters Salesforce rejects with them,
    INVALID_QUERY_FILTER_OPERATOR (malformed Id literal) or
    NUMBER_OUTSIDE_VALID_RANGE (OFFSET above 2000). Each maps to HTTP 400.
"""

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
INVALID_QUERY_LOCATOR = "INVALID_QUERY_LOCATOR"


class SoqlError(ValueError):
    """A query Salesforce would reject, with its errorCode and message."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message


def positioned_message(soql: str, offset: int, text: str) -> str:
    """Build Salesforce's message that points at a 0-based offset of the query.

    Salesforce prefixes query errors with the query line, a caret under the
    offending token and ``ERROR at Row:R:Column:C`` (both 1-based).
    """
    before = soql[:offset]
    row = before.count("\n") + 1
    line_start = before.rfind("\n") + 1
    line_end = soql.find("\n", offset)
    line = soql[line_start : len(soql) if line_end < 0 else line_end]
    column = offset - line_start + 1
    caret = " " * (column - 1) + "^"
    return f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n{text}"
