"""Named connections: one ``[orgs.NAME]`` TOML table per org.

Example::

    [orgs.source]
    login_url = "https://acme.my.salesforce.com"
    api_version = "62.0"
    auth = "client_credentials"
    client_id = "3MVG9..."
    client_secret = { env = "SOURCE_CLIENT_SECRET" }

Keys common to every auth method are ``login_url`` (required except for access_token
and sf_cli), ``instance_url``, ``api_version`` (default "62.0"), ``ca_bundle`` (a PEM
file of CA certificates to trust) and ``verify_tls`` (default true). Turning
``verify_tls`` off also needs ``insecure_skip_tls_verify = true``. Each auth method
adds its own keys, parsed by the ``parse`` class method of its class in
``orgbridge.salesforce.auth``.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orgbridge.salesforce.auth.base import AuthMethod
from orgbridge.salesforce.auth.methods import AUTH_METHODS
from orgbridge.salesforce.errors import ConfigError

DEFAULT_API_VERSION = "62.0"
COMMON_KEYS = frozenset(
    {
        "login_url",
        "instance_url",
        "api_version",
        "ca_bundle",
        "verify_tls",
        "insecure_skip_tls_verify",
        "auth",
    }
)
_VERSION = re.compile(r"^\d{2}\.0$")


@dataclass(frozen=True)
class ConnectionConfig:
    """How to reach and log in to one org. Holds secret references, never secrets."""

    name: str
    login_url: str
    instance_url: str | None
    api_version: str
    auth: AuthMethod
    ca_bundle: Path | None = None
    verify_tls: bool = True

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint on the login host."""
        return f"{self.login_url}/services/oauth2/token"


def parse_connection_config(
    name: str, table: dict[str, Any], *, base_dir: Path | None = None
) -> ConnectionConfig:
    """Build a ConnectionConfig from one ``[orgs.NAME]`` table.

    Relative ``ca_bundle`` and ``file`` paths stay as written unless ``base_dir`` is
    given, in which case ``ca_bundle`` is resolved against it. Raises ConfigError
    naming the key at fault and how to fix it.
    """
    where = f"[orgs.{name}]"
    method_name = table.get("auth")
    if method_name not in AUTH_METHODS:
        raise ConfigError(
            f"{where} auth: expected one of {', '.join(sorted(AUTH_METHODS))}, "
            f"got {method_name!r}"
        )
    method_cls = AUTH_METHODS[method_name]
    unknown = set(table) - COMMON_KEYS - method_cls.KEYS
    if unknown:
        allowed = sorted(COMMON_KEYS | method_cls.KEYS)
        raise ConfigError(
            f"{where}: unknown key(s) {sorted(unknown)} for auth = {method_name!r}; "
            f"allowed: {allowed}"
        )

    login_url = _url(table.get("login_url"), f"{where} login_url")
    instance_url = _url(table.get("instance_url"), f"{where} instance_url")
    if login_url is None:
        if not method_cls.LOGIN_URL_OPTIONAL:
            raise ConfigError(
                f"{where} login_url is missing: use https://login.salesforce.com, "
                "https://test.salesforce.com or your My Domain URL"
            )
        login_url = instance_url or "https://login.salesforce.com"

    api_version = str(table.get("api_version", DEFAULT_API_VERSION))
    if not _VERSION.match(api_version):
        raise ConfigError(
            f'{where} api_version: expected the form "62.0", got {api_version!r}'
        )

    verify_tls = _verify_tls(table, where)
    ca_bundle = _ca_bundle(table.get("ca_bundle"), where, base_dir)
    auth = method_cls.parse(name, table, login_url=login_url, instance_url=instance_url)
    return ConnectionConfig(
        name=name,
        login_url=login_url,
        instance_url=instance_url,
        api_version=api_version,
        auth=auth,
        ca_bundle=ca_bundle,
        verify_tls=verify_tls,
    )


def parse_connections(
    tables: dict[str, Any], *, base_dir: Path | None = None
) -> dict[str, ConnectionConfig]:
    """Parse the whole ``[orgs]`` table into connections keyed by name."""
    connections: dict[str, ConnectionConfig] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"[orgs.{name}] must be a table")
        connections[name] = parse_connection_config(name, table, base_dir=base_dir)
    return connections


def _url(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a URL string")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(f"{where}: expected https://host[:port], got {value!r}")
    if parts.path not in ("", "/") or parts.query:
        raise ConfigError(f"{where}: expected no path or query, got {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _verify_tls(table: dict[str, Any], where: str) -> bool:
    verify = table.get("verify_tls", True)
    if not isinstance(verify, bool):
        raise ConfigError(f"{where} verify_tls: expected true or false")
    if not verify and table.get("insecure_skip_tls_verify") is not True:
        raise ConfigError(
            f"{where} verify_tls = false turns off certificate checks, so anyone on "
            'the network can read the tokens. Prefer ca_bundle = "/path/to/ca.pem"; '
            "if you really mean it, also set insecure_skip_tls_verify = true"
        )
    return verify


def _ca_bundle(value: object, where: str, base_dir: Path | None) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where} ca_bundle: expected a file path")
    path = Path(value).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise ConfigError(f"{where} ca_bundle: file {path} does not exist")
    return path
