"""The pooled httpx client for one connection, and transport error translation."""

import logging
import ssl

import httpx

from orgbridge.salesforce.errors import TlsError, TransportError

logger = logging.getLogger(__name__)

# Raised before any byte of the request left this process, so a retry cannot
# duplicate a write.
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=15.0, pool=60.0)


def build_http_client(
    *,
    name: str,
    ca_bundle: str | None,
    verify_tls: bool,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    max_connections: int = 10,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """Build an HTTP/1.1 client with keep-alive pooling for one connection.

    ``transport`` replaces the network, for tests with httpx.MockTransport.
    """
    verify: ssl.SSLContext | bool
    if not verify_tls:
        logger.warning(
            "connection %s: TLS certificate verification is OFF "
            "(insecure_skip_tls_verify = true); tokens can be intercepted",
            name,
        )
        verify = False
    elif ca_bundle is not None:
        verify = ssl.create_default_context(cafile=ca_bundle)
    else:
        verify = True

    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return httpx.AsyncClient(
        verify=verify,
        timeout=timeout,
        limits=limits,
        http1=True,
        http2=False,
        transport=transport,
        follow_redirects=False,
    )


def translate_transport_error(
    exc: httpx.TransportError, url: str, *, connection: str
) -> TransportError:
    """Turn an httpx transport error into a TransportError that states what to do.

    The message names the host and path only, never query strings or headers.
    """
    if _is_tls_failure(exc):
        return TlsError(
            f"connection {connection!r}: TLS certificate verification failed for "
            f"{url}: {_ssl_reason(exc)}. If the org sits behind a proxy or uses a "
            "private CA, set ca_bundle to a PEM file of the CA certificates",
            request_may_have_been_sent=False,
        )
    if isinstance(exc, NOT_SENT_ERRORS):
        return TransportError(
            f"connection {connection!r}: cannot connect to {url} "
            f"({type(exc).__name__}: {exc}). Check login_url/instance_url, DNS and "
            "network access",
            request_may_have_been_sent=False,
        )
    return TransportError(
        f"connection {connection!r}: no response from {url} "
        f"({type(exc).__name__}: {exc or 'connection closed'})",
        request_may_have_been_sent=True,
    )


def _is_tls_failure(exc: BaseException) -> bool:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ssl.SSLError):
            return True
        current = current.__cause__ or current.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _ssl_reason(exc: BaseException) -> str:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ssl.SSLCertVerificationError):
            return str(current.verify_message)
        current = current.__cause__ or current.__context__
    return str(exc)
