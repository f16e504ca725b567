"""Secrets: a value type that hides itself, references to where secrets live, and the
store for refresh tokens written by ``orgbridge login``.

A connection table never contains a secret, only a reference to one::

    client_secret = { env = "ORG_A_CLIENT_SECRET" }
    private_key = { file = "~/.config/orgbridge/org-a.key" }
    refresh_token = { keyring = "orgbridge:org-a" }

``SecretRef.resolve()`` reads the value when a token is needed, so a rotated secret is
picked up on the next token request.
"""

import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from orgbridge.salesforce.errors import ConfigError, SecretError

logger = logging.getLogger(__name__)

SecretKind = Literal["env", "file", "keyring"]
TokenBackend = Literal["auto", "keyring", "file"]
KEYRING_SERVICE = "orgbridge"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class Secret:
    """A secret string whose str and repr never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the value, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("Secret values cannot be pickled")


@dataclass(frozen=True)
class SecretRef:
    """A secret's location: an environment variable, a file or an OS keyring entry.

    For ``keyring`` the locator is ``service:username``.
    """

    kind: SecretKind
    locator: str

    def resolve(self) -> Secret:
        """Read the secret now; raise SecretError saying what is missing."""
        if self.kind == "env":
            return _read_env(self.locator)
        if self.kind == "file":
            return _read_file(Path(self.locator).expanduser())
        service, _, username = self.locator.partition(":")
        return _read_keyring(service, username)

    def describe(self) -> str:
        """Name the reference (not the value) for messages."""
        return f"{{ {self.kind} = {self.locator!r} }}"


def parse_secret_ref(value: object, *, key: str, connection: str) -> SecretRef:
    """Parse ``{ env = "VAR" }``, ``{ file = "path" }`` or ``{ keyring = "svc:user" }``.

    A literal string is rejected: the message shows how to write a reference instead,
    and never repeats the literal.
    """
    where = f"[orgs.{connection}] {key}"
    env_name = f"{connection}_{key}".upper().replace("-", "_").replace(".", "_")
    if isinstance(value, str):
        raise ConfigError(
            f"{where}: a secret must not be written in the config file. Reference it "
            f'instead, e.g. {key} = {{ env = "{env_name}" }}, '
            f'{key} = {{ file = "/path/to/{key}" }} or '
            f'{key} = {{ keyring = "orgbridge:{connection}" }}'
        )
    if not isinstance(value, dict) or len(value) != 1:
        raise ConfigError(
            f"{where}: expected a table with exactly one of env, file or keyring, "
            f'e.g. {key} = {{ env = "{env_name}" }}'
        )

    kind, locator = next(iter(value.items()))
    if kind not in ("env", "file", "keyring") or not isinstance(locator, str):
        raise ConfigError(
            f"{where}: unknown secret reference {kind!r}; use env, file or keyring "
            "with a string value"
        )
    if kind == "keyring" and ":" not in locator:
        raise ConfigError(
            f'{where}: keyring references are "service:username", got {locator!r}'
        )
    return SecretRef(kind, locator)


def _read_env(name: str) -> Secret:
    value = os.environ.get(name)
    if not value:
        raise SecretError(f"environment variable {name} is not set or empty")
    return Secret(value)


def _read_file(path: Path) -> Secret:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretError(f"cannot read secret file {path}: {exc.strerror}") from None

    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning(
            "secret file %s is readable by group or others; chmod 600 it", path
        )
    value = text.strip()
    if not value:
        raise SecretError(f"secret file {path} is empty")
    # Keep PEM keys intact; strip only surrounding whitespace of one-line secrets.
    return Secret(text if "-----BEGIN" in text else value)


def _read_keyring(service: str, username: str) -> Secret:
    import keyring
    from keyring.errors import KeyringError

    try:
        value = keyring.get_password(service, username)
    except KeyringError as exc:
        raise SecretError(
            f"OS keyring unavailable for {service}:{username}: {type(exc).__name__}"
        ) from None
    if value is None:
        raise SecretError(
            f"no keyring entry for service {service!r}, user {username!r}"
        )
    return Secret(value)


def state_directory() -> Path:
    """Return orgbridge's state folder: $ORGBRIDGE_STATE_DIR, else XDG state home."""
    explicit = os.environ.get("ORGBRIDGE_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "orgbridge"


class RefreshTokenStore:
    """The store of refresh tokens written by ``orgbridge login``, one per connection.

    ``backend="keyring"`` uses the OS keyring (service ``orgbridge``, username = the
    connection name); ``"file"`` writes ``tokens/NAME.refresh_token`` with mode 0600
    under the state directory; ``"auto"`` tries the keyring and falls back to the file.
    Without an explicit backend, $ORGBRIDGE_TOKEN_STORE (auto, keyring or file)
    decides, and auto is the default.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        backend: TokenBackend | None = None,
    ) -> None:
        self.directory = (directory or state_directory()) / "tokens"
        self.backend = backend or _backend_from_environment()

    def save(self, connection: str, token: Secret) -> str:
        """Store a refresh token; return where it went ("keyring" or the file path)."""
        _check_name(connection)
        if self.backend in ("auto", "keyring"):
            try:
                _keyring_set(connection, token)
            except SecretError:
                if self.backend == "keyring":
                    raise
            else:
                logger.info("stored refresh token for %s in the OS keyring", connection)
                return "keyring"

        path = self._path(connection)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(token.reveal())
        os.chmod(path, 0o600)
        logger.info("stored refresh token for %s in %s", connection, path)
        return str(path)

    def load(self, connection: str) -> Secret:
        """Read the refresh token saved for a connection; raise SecretError if none."""
        _check_name(connection)
        if self.backend in ("auto", "keyring"):
            try:
                return _read_keyring(KEYRING_SERVICE, connection)
            except SecretError:
                if self.backend == "keyring":
                    raise

        path = self._path(connection)
        if not path.exists():
            raise SecretError(
                f"no refresh token stored for connection {connection!r} (looked in "
                f"the OS keyring and {path}); run `orgbridge login {connection}`"
            )
        return _read_file(path)

    def _path(self, connection: str) -> Path:
        return self.directory / f"{connection}.refresh_token"


def _backend_from_environment() -> TokenBackend:
    value = os.environ.get("ORGBRIDGE_TOKEN_STORE", "auto")
    if value == "keyring":
        return "keyring"
    if value == "file":
        return "file"
    if value == "auto":
        return "auto"
    raise ConfigError(
        f"ORGBRIDGE_TOKEN_STORE must be auto, keyring or file, got {value!r}"
    )


def _check_name(connection: str) -> None:
    if not _SAFE_NAME.match(connection):
        raise ConfigError(
            f"connection name {connection!r} may contain only letters, digits, "
            "'_', '.' and '-'"
        )


def _keyring_set(connection: str, token: Secret) -> None:
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, connection, token.reveal())
    except KeyringError as exc:
        raise SecretError(f"OS keyring unavailable: {type(exc).__name__}") from None
