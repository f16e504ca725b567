"""The error the SOQL engine raises, with Salesforce's error codes.

SoqlError (ValueError)
    error_code is one of MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE or
    INVALID_QUERY_LOCATOR; the REST layer answers it with HTTP 400 (404 for an
    unknown locator is not what Salesforce does: it answers 400 as well).
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


def positioned_message(soql: str, column: int, text: str) -> str:
    """Build Salesforce's message that points at a column of a one-line query.

    Salesforce prefixes query errors with the query, a caret under the offending
    token and ``ERROR at Row:1:Column:N`` (1-based column).
    """
    one_line = soql.replace("\n", " ")
    caret = " " * max(column - 1, 0) + "^"
    return f"\n{one_line}\n{caret}\nERROR at Row:1:Column:{column}\n{text}"
