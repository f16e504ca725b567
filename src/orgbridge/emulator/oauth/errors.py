"""Errors of the emulated org's OAuth server, each rendering its own wire response.

Exception tree::

    OAuthServerError
    +-- OAuthError            token endpoint errors: JSON object, HTTP 400
    +-- InvalidSessionError   bad Bearer token on a REST call: JSON array, HTTP 401
"""

from starlette.responses import JSONResponse

# The headers Salesforce sends on every token endpoint response, success or error.
TOKEN_HEADERS = {"Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private"}
JSON_MEDIA_TYPE = "application/json;charset=UTF-8"


class OAuthServerError(Exception):
    """Root of the OAuth server's errors."""


class OAuthError(OAuthServerError):
    """An OAuth error response: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        """Render the error as Salesforce does: a JSON object, no-store."""
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=TOKEN_HEADERS,
            media_type=JSON_MEDIA_TYPE,
        )


class InvalidSessionError(OAuthServerError):
    """A REST call whose Authorization header names no valid access token."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message

    @classmethod
    def invalid_session(cls) -> "InvalidSessionError":
        """Build the error for an unknown, expired or revoked access token."""
        return cls("INVALID_SESSION_ID", "Session expired or invalid")

    @classmethod
    def invalid_header(cls) -> "InvalidSessionError":
        """Build the error for a missing or non-Bearer Authorization header."""
        return cls("INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE")

    def response(self) -> JSONResponse:
        """Render the error as the REST API does: a JSON array, HTTP 401."""
        return JSONResponse(
            [{"message": self.message, "errorCode": self.error_code}],
            status_code=401,
            media_type=JSON_MEDIA_TYPE,
        )
