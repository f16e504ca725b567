"""The emulated org's setup: users, connected apps, custom fields, picklists, faults.

An org is set up from a TOML file (``load_org_config``) or from two flags
(``quick_org_config``). Every value has a default, so an empty file is a working org
with one admin user and no connected app.

Example::

    org_id = "00DA0000000ORGA"
    daily_api_limit = 15000
    token_lifetime_seconds = 7200

    [[users]]
    username = "admin@org-a.example"
    time_zone = "Europe/Paris"

    [[connected_apps]]
    name = "orgbridge"
    client_id = "orgbridge-a"
    client_secret = "s3cret"
    allowed_flows = ["client_credentials", "jwt_bearer", "refresh_token"]
    jwt_certificate = "certs/a.crt"

    [[custom_fields]]
    sobject = "Case"
    name = "Source_Case_Id__c"
    type = "string"
    length = 18
    external_id = true
    unique = true

    [[picklists]]
    sobject = "Case"
    field = "Status"
    values = ["New", "In Progress", "Closed"]
    default = "New"
    restricted = true
"""

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orgbridge.salesforce.ids import InvalidIdError, make_id, to_18

DEFAULT_API_VERSIONS: tuple[str, ...] = tuple(f"{v}.0" for v in range(31, 67))
FLOWS = frozenset(
    {
        "client_credentials",
        "jwt_bearer",
        "refresh_token",
        "authorization_code",
        "password",
    }
)


class OrgConfigError(ValueError):
    """An invalid org setup file or flag, with the key at fault in the message."""


@dataclass(frozen=True)
class UserConfig:
    """One user of the emulated org."""

    username: str
    user_id: str
    name: str = "Admin User"
    email: str = "admin@example.com"
    time_zone: str = "America/Los_Angeles"
    password: str | None = None
    active: bool = True


@dataclass(frozen=True)
class ConnectedAppConfig:
    """One connected app: its credentials and the OAuth flows it allows.

    ``run_as`` is the username the client credentials flow runs as, and
    ``preauthorized_users`` are the usernames that may use the JWT bearer flow without
    a prior interactive approval (an empty tuple means every user is pre-authorized).
    """

    name: str
    client_id: str
    client_secret: str | None = None
    allowed_flows: frozenset[str] = FLOWS - {"password"}
    jwt_certificate_pem: str | None = None
    callback_urls: tuple[str, ...] = ("http://localhost:1717/OauthRedirect",)
    run_as: str | None = None
    preauthorized_users: tuple[str, ...] = ()
    refresh_token_rotation: bool = False
    scopes: tuple[str, ...] = ("api", "refresh_token", "id", "web", "openid")


@dataclass(frozen=True)
class CustomFieldConfig:
    """A custom field added to an sObject's describe and table."""

    sobject: str
    name: str
    type: str = "string"
    length: int = 255
    label: str | None = None
    external_id: bool = False
    unique: bool = False
    case_sensitive: bool = False
    required: bool = False
    picklist_values: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: str | None = None


@dataclass(frozen=True)
class PicklistConfig:
    """Picklist values that replace the recorded defaults of one field."""

    sobject: str
    field: str
    values: tuple[str, ...]
    default: str | None = None
    restricted: bool = False


@dataclass(frozen=True)
class FaultConfig:
    """Faults injected into answers, for drills and benchmarks.

    Rates are probabilities per request in [0, 1]. ``unable_to_lock_row_rate`` applies
    to record writes only. ``drop_after_commit_rate`` closes the connection after a
    write has committed, so the client never sees the answer.
    """

    latency_ms: float = 0.0
    server_unavailable_rate: float = 0.0
    unable_to_lock_row_rate: float = 0.0
    request_limit_exceeded_rate: float = 0.0
    drop_after_commit_rate: float = 0.0
    token_expiry_after_calls: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class OrgConfig:
    """Everything that makes one emulated org differ from another."""

    name: str = "org"
    org_id: str = "00DA0000000EMU1"
    pod: str = "A0"
    users: tuple[UserConfig, ...] = ()
    connected_apps: tuple[ConnectedAppConfig, ...] = ()
    token_lifetime_seconds: int = 7200
    custom_fields: tuple[CustomFieldConfig, ...] = ()
    picklists: tuple[PicklistConfig, ...] = ()
    api_versions: tuple[str, ...] = DEFAULT_API_VERSIONS
    daily_api_limit: int = 15000
    password_flow_enabled: bool = False
    case_number_start: int = 1000
    faults: FaultConfig = field(default_factory=FaultConfig)
    admin_token: str | None = None

    @property
    def default_user(self) -> UserConfig:
        """The first configured user, who runs client credentials by default."""
        return self.users[0]

    def user_by_username(self, username: str) -> UserConfig | None:
        """Find a user by username, ignoring case as Salesforce does."""
        for user in self.users:
            if user.username.lower() == username.lower():
                return user
        return None

    def app_by_client_id(self, client_id: str) -> ConnectedAppConfig | None:
        """Find a connected app by its consumer key."""
        for app in self.connected_apps:
            if app.client_id == client_id:
                return app
        return None


def default_user(org_id: str, pod: str) -> UserConfig:
    """Build the admin user that every org has when its file names none."""
    return UserConfig(
        username=f"admin@{org_id.lower()}.example",
        user_id=make_id("005", pod, 1),
        name="Admin User",
        email="admin@example.com",
    )


def quick_org_config(
    client_id: str | None = None,
    client_secret: str | None = None,
    *,
    name: str = "org",
    org_id: str = "00DA0000000EMU1",
) -> OrgConfig:
    """Build an org with one admin user and, given credentials, one connected app.

    The app allows the client credentials flow and runs as the admin user, which is
    all a quick start needs.
    """
    user = default_user(org_id, "A0")
    apps: tuple[ConnectedAppConfig, ...] = ()
    if client_id is not None:
        apps = (
            ConnectedAppConfig(
                name="quickstart",
                client_id=client_id,
                client_secret=client_secret,
                run_as=user.username,
            ),
        )
    return OrgConfig(
        name=name, org_id=to_18(org_id), users=(user,), connected_apps=apps
    )


def load_org_config(path: Path) -> OrgConfig:
    """Read an org setup TOML file.

    Relative certificate paths are resolved against the file's folder. Raises
    OrgConfigError naming the key that is wrong.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OrgConfigError(f"cannot read org setup file {path}: {exc}") from exc
    return org_config_from_dict(data, base_dir=path.parent)


def org_config_from_dict(data: dict[str, Any], *, base_dir: Path) -> OrgConfig:
    """Build an OrgConfig from parsed TOML, checking every key."""
    try:
        org_id = to_18(str(data.get("org_id", "00DA0000000EMU1")))
    except InvalidIdError as exc:
        raise OrgConfigError(f"org_id: {exc}") from exc
    if not org_id.startswith("00D"):
        raise OrgConfigError(f"org_id must start with 00D, got {org_id!r}")
    pod = str(data.get("pod", "A0"))

    users = tuple(
        _user(entry, pod, index) for index, entry in enumerate(data.get("users", []))
    )
    if not users:
        users = (default_user(org_id, pod),)

    apps = tuple(
        _connected_app(entry, base_dir) for entry in data.get("connected_apps", [])
    )
    fields = tuple(_custom_field(entry) for entry in data.get("custom_fields", []))
    picklists = tuple(_picklist(entry) for entry in data.get("picklists", []))
    faults = FaultConfig(**_known(data.get("faults", {}), FaultConfig, "faults"))

    versions = tuple(str(v) for v in data.get("api_versions", DEFAULT_API_VERSIONS))
    for version in versions:
        if not (len(version) == 4 and version.endswith(".0") and version[:2].isdigit()):
            raise OrgConfigError(f"api_versions: {version!r} is not of the form NN.0")

    return OrgConfig(
        name=str(data.get("name", "org")),
        org_id=org_id,
        pod=pod,
        users=users,
        connected_apps=apps,
        token_lifetime_seconds=int(data.get("token_lifetime_seconds", 7200)),
        custom_fields=fields,
        picklists=picklists,
        api_versions=versions,
        daily_api_limit=int(data.get("daily_api_limit", 15000)),
        password_flow_enabled=bool(data.get("password_flow_enabled", False)),
        case_number_start=int(data.get("case_number_start", 1000)),
        faults=faults,
        admin_token=data.get("admin_token"),
    )


def _known(entry: dict[str, Any], cls: type, where: str) -> dict[str, Any]:
    allowed = {f.name for f in dataclasses.fields(cls)}
    unknown = set(entry) - allowed
    if unknown:
        raise OrgConfigError(
            f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    return dict(entry)


def _user(entry: dict[str, Any], pod: str, index: int) -> UserConfig:
    values = _known(entry, UserConfig, "users")
    if "username" not in values:
        raise OrgConfigError(f"users[{index}]: username is missing")
    values.setdefault("user_id", make_id("005", pod, index + 1))
    values["user_id"] = to_18(values["user_id"])
    return UserConfig(**values)


def _connected_app(entry: dict[str, Any], base_dir: Path) -> ConnectedAppConfig:
    values = _known(
        {k: v for k, v in entry.items() if k != "jwt_certificate"},
        ConnectedAppConfig,
        "connected_apps",
    )
    if "client_id" not in values:
        raise OrgConfigError("connected_apps: client_id is missing")
    values.setdefault("name", values["client_id"])

    flows = frozenset(values.get("allowed_flows", ConnectedAppConfig.allowed_flows))
    unknown = flows - FLOWS
    if unknown:
        raise OrgConfigError(
            f"connected_apps {values['client_id']}: unknown flow(s) {sorted(unknown)}; "
            f"known: {sorted(FLOWS)}"
        )
    values["allowed_flows"] = flows

    certificate = entry.get("jwt_certificate")
    if certificate is not None:
        cert_path = Path(certificate)
        if not cert_path.is_absolute():
            cert_path = base_dir / cert_path
        try:
            values["jwt_certificate_pem"] = cert_path.read_text(encoding="ascii")
        except OSError as exc:
            raise OrgConfigError(
                f"connected_apps {values['client_id']}: cannot read jwt_certificate "
                f"{cert_path}: {exc}"
            ) from exc

    for key in ("callback_urls", "preauthorized_users", "scopes"):
        if key in values:
            values[key] = tuple(values[key])
    return ConnectedAppConfig(**values)


def _custom_field(entry: dict[str, Any]) -> CustomFieldConfig:
    values = _known(entry, CustomFieldConfig, "custom_fields")
    for key in ("sobject", "name"):
        if key not in values:
            raise OrgConfigError(f"custom_fields: {key} is missing")
    if not values["name"].endswith("__c"):
        raise OrgConfigError(
            f"custom_fields: {values['name']!r} must end with __c, as custom fields do"
        )
    if "picklist_values" in values:
        values["picklist_values"] = tuple(values["picklist_values"])
    return CustomFieldConfig(**values)


def _picklist(entry: dict[str, Any]) -> PicklistConfig:
    values = _known(entry, PicklistConfig, "picklists")
    for key in ("sobject", "field", "values"):
        if key not in values:
            raise OrgConfigError(f"picklists: {key} is missing")
    values["values"] = tuple(values["values"])
    return PicklistConfig(**values)
