"""Storage of issued OAuth tokens and authorization codes, as SHA-256 hashes.

The org's SQLite file never contains a token itself, only its hash, with the user, the
connected app, the scope, the expiry and a revoked flag. Tokens of one grant share a
``family``: revoking a refresh token revokes its family, which includes the access
tokens issued with it or from it and, after rotation, its successors.
"""

import hashlib
import secrets
import sqlite3
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from orgbridge.salesforce.ids import to_15

ACCESS = "access"
REFRESH = "refresh"
# Characters allowed after the "!" of an access token: sfdx-core recognises opaque
# access tokens with the pattern (00D\w{12,15})![.\w]*.
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "._"
_REFRESH_ALPHABET = string.ascii_letters + string.digits + "._"

_DDL = (
    """CREATE TABLE IF NOT EXISTS _oauth_tokens (
        token_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        family TEXT NOT NULL,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        issued_at REAL NOT NULL,
        expires_at REAL,
        revoked INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS _oauth_tokens_family ON _oauth_tokens (family)",
    """CREATE TABLE IF NOT EXISTS _oauth_codes (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        scope TEXT NOT NULL,
        code_challenge TEXT,
        code_challenge_method TEXT,
        expires_at REAL NOT NULL,
        used INTEGER NOT NULL DEFAULT 0
    )""",
)


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of a token, the only form the store keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_access_token(org_id: str) -> str:
    """Generate an access token shaped like Salesforce's: ``00D...!AQ...``."""
    tail = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(94))
    return f"{to_15(org_id)}!AQ{tail}"


def new_refresh_token() -> str:
    """Generate an opaque refresh token or authorization code."""
    return "5Aep" + "".join(secrets.choice(_REFRESH_ALPHABET) for _ in range(83))


@dataclass(frozen=True)
class TokenRecord:
    """Stored facts about one token (never the token itself)."""

    token_hash: str
    kind: str
    family: str
    client_id: str
    user_id: str
    scope: str
    issued_at: float
    expires_at: float | None
    revoked: bool

    def is_active(self, now: float) -> bool:
        """Tell whether the token is neither revoked nor past its expiry."""
        if self.revoked:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class CodeRecord:
    """Stored facts about one authorization code."""

    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    used: bool


class TokenStore:
    """Token and authorization code hashes in the org's SQLite database."""

    def __init__(self, db: sqlite3.Connection, *, clock: Callable[[], datetime]):
        self._db = db
        self._clock = clock

    def initialize(self) -> None:
        """Create the tables; safe on a reopened file."""
        for statement in _DDL:
            self._db.execute(statement)

    def now(self) -> float:
        """Return the clock's time in epoch seconds."""
        return self._clock().timestamp()

    def add_token(
        self,
        token: str,
        *,
        kind: str,
        family: str | None,
        client_id: str,
        user_id: str,
        scope: str,
        lifetime_seconds: float | None,
    ) -> str:
        """Store a token's hash and return its family (its own hash if new)."""
        token_hash = hash_token(token)
        now = self.now()
        expires_at = None if lifetime_seconds is None else now + lifetime_seconds
        family = family or token_hash
        self._db.execute(
            "INSERT INTO _oauth_tokens (token_hash, kind, family, client_id, user_id,"
            " scope, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (token_hash, kind, family, client_id, user_id, scope, now, expires_at),
        )
        return family

    def find_token(self, token: str) -> TokenRecord | None:
        """Look a token up by its hash; None if it was never issued here."""
        row = self._db.execute(
            "SELECT token_hash, kind, family, client_id, user_id, scope, issued_at,"
            " expires_at, revoked FROM _oauth_tokens WHERE token_hash = ?",
            (hash_token(token),),
        ).fetchone()
        if row is None:
            return None
        return TokenRecord(
            token_hash=row[0],
            kind=row[1],
            family=row[2],
            client_id=row[3],
            user_id=row[4],
            scope=row[5],
            issued_at=row[6],
            expires_at=row[7],
            revoked=bool(row[8]),
        )

    def revoke_token(self, token_hash: str) -> None:
        """Revoke one token."""
        self._db.execute(
            "UPDATE _oauth_tokens SET revoked = 1 WHERE token_hash = ?", (token_hash,)
        )

    def revoke_family(self, family: str) -> int:
        """Revoke every token of a family; return how many were still unrevoked."""
        cursor = self._db.execute(
            "UPDATE _oauth_tokens SET revoked = 1 WHERE family = ? AND revoked = 0",
            (family,),
        )
        return cursor.rowcount

    def expire_access_tokens(self) -> int:
        """Expire every unexpired access token now; return how many."""
        now = self.now()
        cursor = self._db.execute(
            "UPDATE _oauth_tokens SET expires_at = ? WHERE kind = ? AND revoked = 0"
            " AND (expires_at IS NULL OR expires_at > ?)",
            (now, ACCESS, now),
        )
        return cursor.rowcount

    def add_code(
        self,
        code: str,
        *,
        client_id: str,
        user_id: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None,
        code_challenge_method: str | None,
        lifetime_seconds: float,
    ) -> None:
        """Store an authorization code's hash with what its exchange must match."""
        self._db.execute(
            "INSERT INTO _oauth_codes (code_hash, client_id, user_id, redirect_uri,"
            " scope, code_challenge, code_challenge_method, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hash_token(code),
                client_id,
                user_id,
                redirect_uri,
                scope,
                code_challenge,
                code_challenge_method,
                self.now() + lifetime_seconds,
            ),
        )

    def use_code(self, code: str) -> CodeRecord | None:
        """Mark a code used and return what it was issued with, as it was before.

        The returned record's ``used`` is True when the code had been used already,
        so a second exchange of the same code can be rejected.
        """
        code_hash = hash_token(code)
        row = self._db.execute(
            "SELECT client_id, user_id, redirect_uri, scope, code_challenge,"
            " code_challenge_method, expires_at, used FROM _oauth_codes"
            " WHERE code_hash = ?",
            (code_hash,),
        ).fetchone()
        if row is None:
            return None

        self._db.execute(
            "UPDATE _oauth_codes SET used = 1 WHERE code_hash = ?", (code_hash,)
        )
        return CodeRecord(
            client_id=row[0],
            user_id=row[1],
            redirect_uri=row[2],
            scope=row[3],
            code_challenge=row[4],
            code_challenge_method=row[5],
            expires_at=row[6],
            used=bool(row[7]),
        )
