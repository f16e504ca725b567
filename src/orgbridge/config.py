"""The app config file (``orgbridge.toml``): orgs, pairs and the state store.

Example::

    [state]
    url = "sqlite:///.orgbridge/state.sqlite"

    [orgs.a]
    login_url = "https://a.my.salesforce.com"
    auth = "client_credentials"
    client_id = "3MVG9..."
    client_secret = { env = "A_CLIENT_SECRET" }

    [orgs.b]
    ...

    [pairs.a_to_b]
    source = "a"
    target = "b"

docs/configuration.md lists every key. A relative SQLite path in ``[state] url``
is resolved against the config file's folder, so a run from another working
directory finds the same state.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The Salesforce client, the sync engine and SQLAlchemy are imported by the
# functions that use them, so that ``orgbridge --help`` (which needs only
# DEFAULT_CONFIG_PATH) does not load them.
if TYPE_CHECKING:
    from orgbridge.salesforce.connections import ConnectionConfig
    from orgbridge.sync.pair import PairConfig

DEFAULT_CONFIG_PATH = Path("orgbridge.toml")
DEFAULT_STATE_PATH = Path(".orgbridge") / "state.sqlite"
_TOP_LEVEL_KEYS = frozenset({"state", "orgs", "pairs"})


class ConfigError(Exception):
    """The config file is missing or invalid; the message names the key at fault."""


@dataclass(frozen=True)
class AppConfig:
    """Everything read from one config file."""

    orgs: dict[str, ConnectionConfig]
    pairs: dict[str, PairConfig]
    state_url: str
    path: Path | None = None


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> AppConfig:
    """Read and validate a config file; raise ConfigError naming the key at fault."""
    config_path = Path(path)
    try:
        with config_path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {config_path} not found; pass --config FILE or create "
            "orgbridge.toml (see docs/configuration.md)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from None

    return parse_config(
        document, base_dir=config_path.resolve().parent, path=config_path
    )


def parse_config(
    document: dict[str, Any], *, base_dir: Path, path: Path | None = None
) -> AppConfig:
    """Validate a parsed config document; relative paths resolve against base_dir."""
    unknown = set(document) - _TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s) {sorted(unknown)}; allowed: "
            f"{sorted(_TOP_LEVEL_KEYS)}"
        )

    orgs = _orgs(document.get("orgs", {}), base_dir)
    pairs = _pairs(document.get("pairs", {}), set(orgs))
    state_url = _state_url(document.get("state", {}), base_dir)
    return AppConfig(orgs=orgs, pairs=pairs, state_url=state_url, path=path)


def _orgs(tables: object, base_dir: Path) -> dict[str, ConnectionConfig]:
    from orgbridge.salesforce.connections import parse_connection_config
    from orgbridge.salesforce.errors import ConfigError as ConnectionConfigError

    if not isinstance(tables, dict):
        raise ConfigError("[orgs] must be a table of [orgs.NAME] tables")
    orgs: dict[str, ConnectionConfig] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"[orgs.{name}] must be a table")
        try:
            orgs[name] = parse_connection_config(name, table, base_dir=base_dir)
        except ConnectionConfigError as exc:
            raise ConfigError(str(exc)) from None
    return orgs


def _pairs(tables: object, org_names: set[str]) -> dict[str, PairConfig]:
    from orgbridge.sync.errors import PairConfigError
    from orgbridge.sync.pair import parse_pair_config

    if not isinstance(tables, dict):
        raise ConfigError("[pairs] must be a table of [pairs.NAME] tables")
    pairs: dict[str, PairConfig] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"[pairs.{name}] must be a table")
        try:
            pairs[name] = parse_pair_config(name, table, org_names)
        except PairConfigError as exc:
            raise ConfigError(str(exc)) from None
    return pairs


def _state_url(table: object, base_dir: Path) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not isinstance(table, dict) or set(table) - {"url"}:
        raise ConfigError('[state] must be a table with one key, url = "..."')

    url = table.get("url")
    if url is None:
        return f"sqlite:///{base_dir / DEFAULT_STATE_PATH}"
    if not isinstance(url, str):
        raise ConfigError(f"[state] url: expected a SQLAlchemy URL, got {url!r}")

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "[state] url: not a SQLAlchemy URL, e.g. sqlite:///path/state.sqlite "
            "or postgresql+psycopg://user@host/db"
        ) from None

    database = parsed.database
    is_file = parsed.get_backend_name() == "sqlite" and database not in (None, "")
    if is_file and database != ":memory:" and not Path(str(database)).is_absolute():
        resolved = parsed.set(database=str(base_dir / str(database)))
        return resolved.render_as_string(hide_password=False)
    return url
