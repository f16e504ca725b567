"""Results of REST operations and their rendering as Salesforce's HTTP responses.

Operations return a ``Result`` (status, JSON body, headers) instead of a Starlette
response, so that the composite resource can run them as subrequests in-process.
Errors are raised as ``ApiFailure`` and rendered as Salesforce's error array.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
MAX_BODY_BYTES = 50 * 1024 * 1024
JSON_MEDIA_TYPES = frozenset({"application/json", "text/json", ""})
# A \uD800-\uDFFF escape: half of a surrogate pair, or a lone surrogate that no
# UTF-8 text can hold.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


@dataclass
class Result:
    """One operation's response: HTTP status, JSON body (None: no body), headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiFailure(Exception):
    """A request-level error, sent as ``[{message, errorCode[, fields]}]``."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def result(self) -> Result:
        """Render the error array Salesforce sends for a failed request."""
        entry: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return Result(self.status, [entry])


def not_found(message: str = "The requested resource does not exist") -> ApiFailure:
    """Build the 404 NOT_FOUND error."""
    return ApiFailure(404, "NOT_FOUND", message)


def to_response(result: Result) -> Response:
    """Render a Result as a Starlette response with Salesforce's content type."""
    if result.body is None:
        return Response(status_code=result.status, headers=result.headers)
    payload = json.dumps(result.body, ensure_ascii=False, separators=(",", ":"))
    return Response(
        payload.encode("utf-8"),
        status_code=result.status,
        headers=result.headers,
        media_type=JSON_CONTENT_TYPE,
    )


def parse_json_body(raw: bytes, content_type: str | None) -> Any:
    """Decode a JSON request body or raise the error Salesforce answers with.

    A body without a Content-Type is read as JSON. Salesforce also accepts XML
    bodies; the emulator does not, and answers 415 for them.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise ApiFailure(
            413,
            "REQUEST_ENTITY_TOO_LARGE",
            f"Request body exceeds the maximum of {MAX_BODY_BYTES} bytes",
        )
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        raise ApiFailure(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"Content type '{media_type}' is not supported: send the body as "
            "application/json (the emulator does not read XML bodies)",
        )
    if not raw.strip():
        raise ApiFailure(400, "JSON_PARSER_ERROR", "The request body is empty.")

    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiFailure(
            400, "JSON_PARSER_ERROR", "Invalid UTF-8 in the request body"
        ) from None
    except json.JSONDecodeError as error:
        raise ApiFailure(
            400,
            "JSON_PARSER_ERROR",
            f"{error.msg} at [line:{error.lineno}, column:{error.colno}]",
        ) from None

    if _SURROGATE_ESCAPE.search(raw):
        _reject_lone_surrogates(body)
    return body


def _reject_lone_surrogates(body: Any) -> None:
    """Raise JSON_PARSER_ERROR for a \\u escape that decodes to a lone surrogate.

    Paired escapes (an emoji written as two escapes) decode to one character and
    pass; a lone one cannot be stored or sent back as UTF-8.
    """
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiFailure(
            400,
            "JSON_PARSER_ERROR",
            "Invalid Unicode escape: a lone surrogate (\\uD800-\\uDFFF) is not "
            "a character",
        ) from None


def require_object(body: Any) -> dict[str, Any]:
    """Return a JSON object body, or raise JSON_PARSER_ERROR for another shape."""
    if not isinstance(body, dict):
        kind = "START_ARRAY" if isinstance(body, list) else "a scalar value"
        raise ApiFailure(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of an object from {kind}",
        )
    return body
