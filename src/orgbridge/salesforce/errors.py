"""Exceptions raised by the Salesforce connections and REST client.

Every REST error response goes through ``error_from_response``, which reads the status
and the first ``errorCode`` of the JSON error array and picks the class. OAuth token
endpoint errors (a JSON object with ``error`` and ``error_description``) go through
``oauth_error_from_response``. No message built here contains a token or a secret.

Tree::

    SalesforceError
    ├── ConfigError                   invalid [orgs.NAME] table or secret reference
    ├── SecretError                   a secret reference could not be resolved
    ├── AuthError                     no usable token (OAuth, sf CLI, access token)
    │   └── OAuthError                token endpoint returned {error, error_description}
    ├── CollectionWriteError          some chunks of a multi-chunk write failed
    ├── TransportError                no HTTP response (connect, TLS, read)
    │   ├── TlsError                  certificate verification failed
    │   └── OutcomeUnknownError       a create may have reached the org; not retried
    └── ApiError                      REST error array [{message, errorCode, fields}]
        ├── InvalidSessionError         401 INVALID_SESSION_ID and other 401s
        ├── RequestLimitExceededError   403 REQUEST_LIMIT_EXCEEDED (concurrent limit)
        │   └── DailyLimitExceededError   "TotalRequests Limit exceeded" (daily limit)
        ├── ForbiddenError              other 403s (permissions)
        ├── NotFoundError               404 NOT_FOUND
        ├── EntityIsDeletedError        404 ENTITY_IS_DELETED
        ├── MultipleMatchesError        300 external ID matched several records
        ├── MalformedQueryError         400 MALFORMED_QUERY, INVALID_FIELD,
        │                               INVALID_TYPE, INVALID_QUERY_LOCATOR
        ├── UnableToLockRowError        UNABLE_TO_LOCK_ROW
        ├── ValidationError             other 400s (DML: REQUIRED_FIELD_MISSING, ...)
        └── ServerUnavailableError      500, 502, 503, 504
"""

import json
from typing import Any

import httpx

QUERY_ERROR_CODES = frozenset(
    {"MALFORMED_QUERY", "INVALID_FIELD", "INVALID_TYPE", "INVALID_QUERY_LOCATOR"}
)
DAILY_LIMIT_MARKER = "TotalRequests Limit exceeded"
RETRYABLE_STATUSES = frozenset({502, 503, 504})


class SalesforceError(Exception):
    """Root of every error raised by orgbridge.salesforce."""

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again may succeed."""
        return False


class ConfigError(SalesforceError):
    """An invalid connection table; the message names the key and the fix."""


class SecretError(SalesforceError):
    """A secret reference that could not be resolved (missing variable or file)."""


class AuthError(SalesforceError):
    """No usable access token could be obtained for a connection."""

    def __init__(self, message: str, *, connection: str | None = None) -> None:
        super().__init__(message)
        self.connection = connection


class OAuthError(AuthError):
    """The token endpoint rejected a grant.

    ``error`` and ``description`` are Salesforce's ``error`` and ``error_description``
    fields; the message adds what to do about it.
    """

    def __init__(
        self,
        error: str,
        description: str,
        status: int,
        *,
        hint: str = "",
        connection: str | None = None,
    ) -> None:
        where = f"connection {connection!r}: " if connection else ""
        text = f"{where}token request failed: {error}: {description}"
        if hint:
            text = f"{text}. {hint}"
        super().__init__(text, connection=connection)
        self.error = error
        self.description = description
        self.status = status
        self.hint = hint


class CollectionWriteError(SalesforceError):
    """At least one 200-record chunk of a collection write raised an error.

    ``results`` has one entry per input record, in input order. An entry is the
    RecordResult from a chunk that completed, or None for a record of a chunk that
    failed. ``errors`` maps the index of each failed chunk's first record to its error.
    """

    def __init__(self, results: list[Any], errors: dict[int, SalesforceError]) -> None:
        failed = sum(1 for result in results if result is None)
        first_index, first = next(iter(errors.items()))
        super().__init__(
            f"{len(errors)} chunk(s) failed, {failed} record(s) without a result; "
            f"first failure at record {first_index}: {first}"
        )
        self.results = results
        self.errors = errors

    @property
    def retryable(self) -> bool:
        return all(error.retryable for error in self.errors.values())


class TransportError(SalesforceError):
    """No HTTP response was received (connection refused, DNS, timeout, TLS)."""

    def __init__(self, message: str, *, request_may_have_been_sent: bool) -> None:
        super().__init__(message)
        self.request_may_have_been_sent = request_may_have_been_sent

    @property
    def retryable(self) -> bool:
        return not self.request_may_have_been_sent


class TlsError(TransportError):
    """The server's TLS certificate could not be verified."""

    @property
    def retryable(self) -> bool:
        return False


class OutcomeUnknownError(TransportError):
    """A create request may have reached the org but no response came back.

    Retrying could create the records twice, so the caller must check the org (for
    example by external ID) before sending the records again.
    """

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message, request_may_have_been_sent=True)
        self.method = method
        self.path = path


class ApiError(SalesforceError):
    """A REST error response: HTTP status plus the first errorCode of the array.

    ``errors`` keeps every entry of the error array as returned.
    """

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = list(fields or [])
        self.errors = list(errors or [])


class InvalidSessionError(ApiError):
    """The access token was rejected (expired, revoked or malformed)."""


class RequestLimitExceededError(ApiError):
    """Too many concurrent long-running requests; waiting and retrying helps."""

    @property
    def retryable(self) -> bool:
        return True


class DailyLimitExceededError(RequestLimitExceededError):
    """The org's rolling 24-hour API request allocation is used up."""

    @property
    def retryable(self) -> bool:
        return False


class ForbiddenError(ApiError):
    """The user lacks a permission the request needs."""


class NotFoundError(ApiError):
    """The resource, record or external ID field does not exist."""


class EntityIsDeletedError(NotFoundError):
    """The record is in the recycle bin."""


class MultipleMatchesError(ApiError):
    """An upsert's external ID value matched more than one record; nothing was written.

    ``record_urls`` lists the matching records as returned by the org.
    """

    def __init__(self, status: int, record_urls: list[str]) -> None:
        super().__init__(
            status,
            "MULTIPLE_CHOICES",
            f"external ID matched {len(record_urls)} records",
        )
        self.record_urls = record_urls


class MalformedQueryError(ApiError):
    """A SOQL query the org could not parse or run (also unknown fields or types)."""


class UnableToLockRowError(ApiError):
    """Another transaction held a lock on the record; a retry usually succeeds."""

    @property
    def retryable(self) -> bool:
        return True


class ValidationError(ApiError):
    """A record write the org rejected (missing field, bad value, duplicate, ...)."""


class ServerUnavailableError(ApiError):
    """The org or a gateway in front of it failed (HTTP 5xx)."""

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES


def error_from_response(response: httpx.Response) -> ApiError:
    """Map a REST error response to the ApiError subclass for its status and code."""
    status = response.status_code
    entries = _error_entries(response)

    if status == 300:
        return MultipleMatchesError(status, _record_urls(response))

    first = entries[0] if entries else {}
    code = str(first.get("errorCode", f"HTTP_{status}"))
    message = str(first.get("message", response.reason_phrase or "no message"))
    fields = [str(f) for f in first.get("fields", []) or []]
    cls = _error_class(status, code, message)
    return cls(status, code, message, fields, errors=entries)


def _error_class(status: int, code: str, message: str) -> type[ApiError]:
    if code == "UNABLE_TO_LOCK_ROW":
        return UnableToLockRowError
    if code == "REQUEST_LIMIT_EXCEEDED":
        if DAILY_LIMIT_MARKER.lower() in message.lower():
            return DailyLimitExceededError
        return RequestLimitExceededError
    if code == "ENTITY_IS_DELETED":
        return EntityIsDeletedError
    if code in QUERY_ERROR_CODES:
        return MalformedQueryError

    by_status: dict[int, type[ApiError]] = {
        401: InvalidSessionError,
        403: ForbiddenError,
        404: NotFoundError,
    }
    if status in by_status:
        return by_status[status]
    if status >= 500:
        return ServerUnavailableError
    if 400 <= status < 500:
        return ValidationError
    return ApiError


def _error_entries(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        return []
    return [entry for entry in body if isinstance(entry, dict)]


def _record_urls(response: httpx.Response) -> list[str]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    if isinstance(body, list):
        return [str(item) for item in body]
    return []


# Hints keyed by (error, a lower-case fragment of error_description). The fragment
# "" matches any description. The first matching entry wins.
_OAUTH_HINTS: tuple[tuple[str, str, str], ...] = (
    (
        "invalid_client_id",
        "",
        "Check client_id: it must be the connected app's consumer key.",
    ),
    (
        "invalid_client",
        "",
        "Check client_secret: it must be the connected app's consumer secret.",
    ),
    (
        "invalid_grant",
        "hasn't approved",
        "Pre-authorize the user for the connected app (Permitted Users: Admin "
        "approved users are pre-authorized, then add the user's profile or "
        "permission set), or approve the app once with `orgbridge login`.",
    ),
    (
        "invalid_grant",
        "audience",
        "Set audience to https://login.salesforce.com (production) or "
        "https://test.salesforce.com (sandbox), not the My Domain URL.",
    ),
    (
        "invalid_grant",
        "expired access/refresh token",
        "The refresh token was revoked or expired: run `orgbridge login NAME` again.",
    ),
    (
        "invalid_grant",
        "signature",
        "The JWT signature did not verify: private_key must match the certificate "
        "uploaded to the connected app.",
    ),
    (
        "invalid_grant",
        "assertion",
        "The JWT was rejected: private_key must match the certificate uploaded to "
        "the connected app, and username must be an active user of the org.",
    ),
    (
        "invalid_grant",
        "authentication failure",
        "Check that the user is active and that the flow is enabled for the org.",
    ),
    (
        "unsupported_grant_type",
        "",
        "Enable this OAuth flow in the connected app's settings.",
    ),
    (
        "invalid_request",
        "",
        "A required parameter is missing; check the connection's auth settings.",
    ),
)


def oauth_error_from_response(
    response: httpx.Response, *, connection: str | None = None
) -> OAuthError:
    """Map a token endpoint error response to an OAuthError with a hint."""
    error = f"http_{response.status_code}"
    description = response.reason_phrase or "no description"
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        error = str(body.get("error", error))
        description = str(body.get("error_description", description))

    hint = ""
    lowered = description.lower()
    for hint_error, fragment, text in _OAUTH_HINTS:
        if error == hint_error and fragment in lowered:
            hint = text
            break
    return OAuthError(
        error, description, response.status_code, hint=hint, connection=connection
    )
