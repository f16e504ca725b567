"""RestSession: sends one REST request with auth, headers, retries and accounting.

Retry rules (each retry waits per the RetryPolicy and is counted by reason):

- connect errors before the request was sent (ConnectError, ConnectTimeout,
  PoolTimeout): always retried.
- read errors, timeouts and dropped connections after sending: retried only for
  idempotent requests (GET, PATCH update or upsert by external ID, DELETE). For a
  create the outcome is unknown, so OutcomeUnknownError is raised instead.
- 503: retried, because the org rejected the request before processing it.
- 502 and 504: a gateway may have forwarded the request, so only idempotent
  requests are retried.
- UNABLE_TO_LOCK_ROW and the concurrent REQUEST_LIMIT_EXCEEDED: retried, since
  nothing was written. The daily limit ("TotalRequests Limit exceeded") is not.
- 401 INVALID_SESSION_ID: the token is renewed and the request replayed; this
  does not use up an attempt. A second 401 in a row raises, but a 401 after a
  retried failure (the token expired while the org was unavailable) renews again.
"""

import logging
import time
from collections import Counter
from typing import Any

import httpx

from orgbridge.salesforce.auth.provider import TokenProvider
from orgbridge.salesforce.errors import (
    ApiError,
    InvalidSessionError,
    OutcomeUnknownError,
    RequestLimitExceededError,
    ServerUnavailableError,
    TlsError,
    UnableToLockRowError,
    error_from_response,
)
from orgbridge.salesforce.limits import ApiUsage, parse_limit_info
from orgbridge.salesforce.retry import RetryPolicy, RetryTracker
from orgbridge.salesforce.transport import translate_transport_error

logger = logging.getLogger(__name__)


class RestSession:
    """Request plumbing shared by the client's query, record and collection calls."""

    def __init__(
        self,
        *,
        connection_name: str,
        api_version: str,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        retry: RetryPolicy,
        default_headers: dict[str, str],
    ) -> None:
        self.connection_name = connection_name
        self.api_version = api_version
        self.http = http
        self.tokens = tokens
        self.retry = RetryTracker(retry, connection_name)
        self.default_headers = default_headers
        self.calls_made = 0
        self.api_usage: ApiUsage | None = None

    @property
    def retries(self) -> Counter[str]:
        """Retries made so far, keyed by reason."""
        return self.retry.counts

    async def send(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request and return its 2xx response, or raise a typed error.

        ``path`` is relative to /services/data/vNN.0/ (e.g. "sobjects/Case"), an
        absolute path ("/services/data/v62.0/query/01g...") or a full URL.
        """
        attempt = 1
        # Whether the previous attempt renewed the token after a 401.
        renewed = False
        while True:
            token, generation = await self.tokens.current()
            url = self._url(token.instance_url, path)
            request_headers = {
                **self.default_headers,
                **(headers or {}),
                "Authorization": f"Bearer {token.access_token.reveal()}",
            }

            try:
                response = await self._send_once(
                    method, url, params, json_body, request_headers
                )
            except httpx.TransportError as exc:
                await self._after_transport_error(exc, method, url, idempotent, attempt)
                attempt += 1
                renewed = False
                continue

            if response.status_code < 300:
                return response

            error = error_from_response(response)
            if _session_expired(error) and not renewed:
                renewed = True
                await self.tokens.renew(generation)
                continue
            if self._may_retry(error, idempotent, attempt):
                await self.retry.wait(
                    error.error_code, attempt, f"{method} {_path(url)}"
                )
                attempt += 1
                renewed = False
                continue
            raise error

    async def _send_once(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        json_body: Any,
        headers: dict[str, str],
    ) -> httpx.Response:
        started = time.monotonic()
        request = self.http.build_request(
            method, url, params=params, json=json_body, headers=headers
        )
        try:
            response = await self.http.send(request)
        except httpx.TransportError as exc:
            if not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                self.calls_made += 1
            raise

        self.calls_made += 1
        # httpx binds the response's stream to the response, a reference cycle that
        # keeps the body (about 2 MB for a 2,000-row query page) in memory until
        # the cyclic garbage collector runs, so peak RSS grew with the number of
        # pages read. The body has been read and the stream closed by now.
        response.stream = httpx.ByteStream(b"")
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.api_usage = usage
        logger.debug(
            "connection %s: %s %s -> %d in %.3fs",
            self.connection_name,
            method,
            _path(url),
            response.status_code,
            time.monotonic() - started,
        )
        return response

    async def _after_transport_error(
        self,
        exc: httpx.TransportError,
        method: str,
        url: str,
        idempotent: bool,
        attempt: int,
    ) -> None:
        """Wait before the next attempt, or raise if the failure is final."""
        error = translate_transport_error(
            exc, _path(url), connection=self.connection_name
        )
        if isinstance(error, TlsError):
            raise error from None
        if error.request_may_have_been_sent and not idempotent:
            raise OutcomeUnknownError(
                f"connection {self.connection_name!r}: {method} {_path(url)} may have "
                f"reached the org but no response came back ({type(exc).__name__}). "
                "It is not retried because it could create records twice; check the "
                "org (e.g. by external ID) before sending these records again",
                method=method,
                path=_path(url),
            ) from None
        if not self.retry.policy.can_retry(attempt):
            raise error from None
        await self.retry.wait(type(exc).__name__, attempt, f"{method} {_path(url)}")

    def _may_retry(self, error: ApiError, idempotent: bool, attempt: int) -> bool:
        if not self.retry.policy.can_retry(attempt) or not error.retryable:
            return False
        if isinstance(error, UnableToLockRowError | RequestLimitExceededError):
            return True
        if isinstance(error, ServerUnavailableError):
            return error.status == 503 or idempotent
        return False

    def _url(self, instance_url: str, path: str) -> str:
        if path.startswith(("https://", "http://")):
            return path
        if path.startswith("/"):
            return f"{instance_url}{path}"
        return f"{instance_url}/services/data/v{self.api_version}/{path}"


def _session_expired(error: ApiError) -> bool:
    return (
        isinstance(error, InvalidSessionError)
        and error.error_code == "INVALID_SESSION_ID"
    )


def _path(url: str) -> str:
    """Drop the query string, which may carry SOQL with record data."""
    return httpx.URL(url).copy_with(query=None).path
