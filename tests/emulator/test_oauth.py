"""OAuth grants of the emulated org: every grant's success and its errors."""

import base64
import datetime
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from oauth_helpers import (
    JWT_GRANT,
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    TEST_USERNAME,
    assertion,
    bearer,
    client,
    rsa_key_and_certificate,
    token_request,
)

from orgbridge.emulator.config import ConnectedAppConfig, OrgConfig, UserConfig
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.ids import make_id

APPROVED = "integration@tests.example"
UNAPPROVED = "other@tests.example"
CALLBACK = "http://localhost:1717/OauthRedirect"
ACCESS_TOKEN_PATTERN = re.compile(r"^(00D\w{12,15})![.\w]*$")


@pytest.fixture(scope="module")
def jwt_key() -> tuple[rsa.RSAPrivateKey, str]:
    return rsa_key_and_certificate()


@pytest.fixture
def org(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
    jwt_key: tuple[rsa.RSAPrivateKey, str],
) -> EmulatedOrg:
    """An org with apps for every grant and three users."""
    users = (
        UserConfig(username=TEST_USERNAME, user_id=make_id("005", "A0", 1)),
        UserConfig(
            username=APPROVED, user_id=make_id("005", "A0", 2), password="pw-1234"
        ),
        UserConfig(username=UNAPPROVED, user_id=make_id("005", "A0", 3)),
    )
    apps = (
        ConnectedAppConfig(
            name="test-client",
            client_id=TEST_CLIENT_ID,
            client_secret=TEST_CLIENT_SECRET,
            allowed_flows=frozenset(
                {"client_credentials", "refresh_token", "authorization_code"}
            ),
            run_as=TEST_USERNAME,
            callback_urls=(CALLBACK,),
        ),
        ConnectedAppConfig(
            name="jwt",
            client_id="jwt-app",
            allowed_flows=frozenset({"jwt_bearer"}),
            jwt_certificate_pem=jwt_key[1],
            preauthorized_users=(APPROVED,),
        ),
        ConnectedAppConfig(
            name="rotating",
            client_id="rotating-app",
            client_secret="rotating-secret",
            allowed_flows=frozenset(
                {"authorization_code", "refresh_token", "password"}
            ),
            refresh_token_rotation=True,
            callback_urls=(CALLBACK,),
        ),
    )
    return start_org(
        org_config_factory(users=users, connected_apps=apps, password_flow_enabled=True)
    )


def authorization_code(
    org: EmulatedOrg, client_id: str, verifier: str, method: str = "S256"
) -> str:
    """Run the authorize endpoint with a PKCE challenge and return the code."""
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        challenge = verifier
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "code_challenge": challenge,
        "code_challenge_method": method,
        "state": "xyz",
        "scope": "api refresh_token",
    }
    with client(org) as http:
        response = http.get("/services/oauth2/authorize", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def exchange(org: EmulatedOrg, code: str, verifier: str, **extra: str) -> dict:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": extra.pop("client_id", TEST_CLIENT_ID),
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        **extra,
    }
    response = token_request(org, **form)
    return {"status": response.status_code, **response.json()}


def test_client_credentials_token_shape(org: EmulatedOrg) -> None:
    response = token_request(
        org,
        grant_type="client_credentials",
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
    )
    body = response.json()

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert "no-store" in response.headers["cache-control"]
    assert ACCESS_TOKEN_PATTERN.match(body["access_token"])
    assert body["access_token"].startswith(org.config.org_id[:15] + "!")
    assert "refresh_token" not in body
    assert body["instance_url"] == org.instance_url
    assert body["id"] == (
        f"{org.instance_url}/id/{org.config.org_id}/{make_id('005', 'A0', 1)}"
    )
    assert body["token_type"] == "Bearer"
    assert re.fullmatch(r"\d{13}", body["issued_at"])
    assert abs(int(body["issued_at"]) / 1000 - time.time()) < 60


def test_client_credentials_signature(org: EmulatedOrg) -> None:
    body = token_request(
        org,
        grant_type="client_credentials",
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
    ).json()
    expected = hmac.new(
        TEST_CLIENT_SECRET.encode(),
        (body["id"] + body["issued_at"]).encode(),
        hashlib.sha256,
    ).digest()
    assert body["signature"] == base64.b64encode(expected).decode()


def test_client_credentials_basic_header(org: EmulatedOrg) -> None:
    with client(org) as http:
        response = http.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(TEST_CLIENT_ID, TEST_CLIENT_SECRET),
        )
    assert response.status_code == 200
    assert "access_token" in response.json()


@pytest.mark.parametrize(
    ("client_id", "secret", "error", "description"),
    [
        (
            "nobody",
            TEST_CLIENT_SECRET,
            "invalid_client_id",
            "client identifier invalid",
        ),
        (TEST_CLIENT_ID, "wrong", "invalid_client", "invalid client credentials"),
        (TEST_CLIENT_ID, "", "invalid_client", "invalid client credentials"),
        ("jwt-app", "x", "invalid_client", "invalid client credentials"),
    ],
)
def test_client_credentials_errors(
    org: EmulatedOrg, client_id: str, secret: str, error: str, description: str
) -> None:
    response = token_request(
        org, grant_type="client_credentials", client_id=client_id, client_secret=secret
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.json() == {"error": error, "error_description": description}


def test_unknown_and_missing_grant(org: EmulatedOrg) -> None:
    unknown = token_request(org, grant_type="magic", client_id=TEST_CLIENT_ID)
    missing = token_request(org, client_id=TEST_CLIENT_ID)

    assert unknown.status_code == 400
    assert unknown.json()["error"] == "unsupported_grant_type"
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


def test_flow_not_allowed_for_app(org: EmulatedOrg) -> None:
    response = token_request(
        org,
        grant_type="client_credentials",
        client_id="rotating-app",
        client_secret="rotating-secret",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_jwt_bearer_success(org: EmulatedOrg, jwt_key: tuple) -> None:
    signed = assertion(
        jwt_key[0], iss="jwt-app", sub=APPROVED, aud="https://login.salesforce.com"
    )
    response = token_request(org, grant_type=JWT_GRANT, assertion=signed)
    body = response.json()

    assert response.status_code == 200
    assert ACCESS_TOKEN_PATTERN.match(body["access_token"])
    assert "refresh_token" not in body
    assert body["id"].endswith(make_id("005", "A0", 2))
    with client(org) as http:
        info = http.get(
            "/services/oauth2/userinfo", headers=bearer(body["access_token"])
        )
    assert info.json()["preferred_username"] == APPROVED


def test_jwt_bearer_millisecond_exp(org: EmulatedOrg, jwt_key: tuple) -> None:
    # The sf CLI sends exp = Date.now() + 300, in milliseconds.
    signed = assertion(
        jwt_key[0],
        iss="jwt-app",
        sub=APPROVED,
        aud="https://test.salesforce.com",
        exp=int(time.time() * 1000) + 300,
    )
    response = token_request(org, grant_type=JWT_GRANT, assertion=signed)
    assert response.status_code == 200


def test_jwt_bearer_instance_audience(org: EmulatedOrg, jwt_key: tuple) -> None:
    signed = assertion(jwt_key[0], iss="jwt-app", prn=APPROVED, aud=org.instance_url)
    response = token_request(org, grant_type=JWT_GRANT, assertion=signed)
    assert response.status_code == 200


def test_jwt_bearer_errors(org: EmulatedOrg, jwt_key: tuple) -> None:
    key = jwt_key[0]
    other_key, _ = rsa_key_and_certificate()
    login = "https://login.salesforce.com"
    cases = {
        "wrong audience": (
            assertion(key, iss="jwt-app", sub=APPROVED, aud="https://evil.example"),
            "invalid_grant",
            "audience is invalid",
        ),
        "bad signature": (
            assertion(other_key, iss="jwt-app", sub=APPROVED, aud=login),
            "invalid_grant",
            "invalid assertion",
        ),
        "unknown user": (
            assertion(key, iss="jwt-app", sub="ghost@tests.example", aud=login),
            "invalid_grant",
            "invalid assertion",
        ),
        "expired": (
            assertion(
                key, iss="jwt-app", sub=APPROVED, aud=login, exp=int(time.time()) - 600
            ),
            "invalid_grant",
            "expired authorization code",
        ),
        "unapproved user": (
            assertion(key, iss="jwt-app", sub=UNAPPROVED, aud=login),
            "invalid_grant",
            "user hasn't approved this consumer",
        ),
        "unknown issuer": (
            assertion(key, iss="nobody", sub=APPROVED, aud=login),
            "invalid_client_id",
            "client identifier invalid",
        ),
        "not a JWT": ("not.a.jwt", "invalid_grant", "invalid assertion"),
    }
    for case, (signed, error, description) in cases.items():
        response = token_request(org, grant_type=JWT_GRANT, assertion=signed)
        assert response.status_code == 400, case
        assert response.json() == {
            "error": error,
            "error_description": description,
        }, case


def test_authorization_code_pkce_s256(org: EmulatedOrg) -> None:
    verifier = "v" * 50
    code = authorization_code(org, TEST_CLIENT_ID, verifier)
    body = exchange(org, code, verifier)

    assert body["status"] == 200
    assert ACCESS_TOKEN_PATTERN.match(body["access_token"])
    assert body["refresh_token"]
    assert body["scope"] == "api refresh_token"


def test_authorization_code_pkce_plain(org: EmulatedOrg) -> None:
    verifier = "plain-verifier-" + "p" * 40
    code = authorization_code(org, TEST_CLIENT_ID, verifier, method="plain")
    assert exchange(org, code, verifier)["status"] == 200


def test_authorization_code_wrong_verifier(org: EmulatedOrg) -> None:
    code = authorization_code(org, TEST_CLIENT_ID, "a" * 50)
    body = exchange(org, code, "b" * 50)

    assert body["status"] == 400
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == "invalid code verifier"


def test_authorization_code_reused(org: EmulatedOrg) -> None:
    verifier = "r" * 50
    code = authorization_code(org, TEST_CLIENT_ID, verifier)
    first = exchange(org, code, verifier)
    second = exchange(org, code, verifier)

    assert first["status"] == 200
    assert second["status"] == 400
    assert second["error"] == "invalid_grant"
    assert second["error_description"] == "expired authorization code"


def test_authorization_code_redirect_mismatch(org: EmulatedOrg) -> None:
    verifier = "m" * 50
    code = authorization_code(org, TEST_CLIENT_ID, verifier)
    body = exchange(org, code, verifier, redirect_uri="http://localhost:9/other")

    assert body["status"] == 400
    assert body["error"] == "invalid_grant"


def test_authorization_code_expires(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
) -> None:
    now = [datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)]
    org = start_org(org_config_factory(), clock=lambda: now[0])
    verifier = "e" * 50
    code = authorization_code(org, TEST_CLIENT_ID, verifier)
    now[0] += datetime.timedelta(minutes=16)
    body = exchange(org, code, verifier)

    assert body["status"] == 400
    assert body["error_description"] == "expired authorization code"


def refresh(org: EmulatedOrg, token: str, client_id: str, secret: str) -> dict:
    response = token_request(
        org,
        grant_type="refresh_token",
        refresh_token=token,
        client_id=client_id,
        client_secret=secret,
    )
    return {"status": response.status_code, **response.json()}


def test_refresh_token_without_rotation(org: EmulatedOrg) -> None:
    verifier = "n" * 50
    tokens = exchange(org, authorization_code(org, TEST_CLIENT_ID, verifier), verifier)
    first = refresh(org, tokens["refresh_token"], TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    second = refresh(org, tokens["refresh_token"], TEST_CLIENT_ID, TEST_CLIENT_SECRET)

    assert first["status"] == 200
    assert "refresh_token" not in first
    assert first["access_token"] != tokens["access_token"]
    assert second["status"] == 200


def test_refresh_token_rotation(org: EmulatedOrg) -> None:
    verifier = "o" * 50
    code = authorization_code(org, "rotating-app", verifier)
    tokens = exchange(
        org, code, verifier, client_id="rotating-app", client_secret="rotating-secret"
    )
    rotated = refresh(org, tokens["refresh_token"], "rotating-app", "rotating-secret")
    reused = refresh(org, tokens["refresh_token"], "rotating-app", "rotating-secret")
    after_reuse = refresh(
        org, rotated["refresh_token"], "rotating-app", "rotating-secret"
    )

    assert rotated["status"] == 200
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert reused["status"] == 400
    assert reused["error_description"] == "expired access/refresh token"
    # Reusing a rotated token revokes its whole chain.
    assert after_reuse["status"] == 400


def test_refresh_token_unknown(org: EmulatedOrg) -> None:
    body = refresh(org, "5Aepnot-a-token", TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    assert body["status"] == 400
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == "expired access/refresh token"


def test_password_flow(org: EmulatedOrg) -> None:
    ok = token_request(
        org,
        grant_type="password",
        client_id="rotating-app",
        client_secret="rotating-secret",
        username=APPROVED,
        password="pw-1234",
    )
    wrong = token_request(
        org,
        grant_type="password",
        client_id="rotating-app",
        client_secret="rotating-secret",
        username=APPROVED,
        password="nope",
    )

    assert ok.status_code == 200
    assert "refresh_token" not in ok.json()
    assert "scope" not in ok.json()
    assert wrong.status_code == 400
    assert wrong.json()["error_description"] == "authentication failure"


def test_password_flow_disabled(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
) -> None:
    users = (
        UserConfig(
            username=TEST_USERNAME, user_id=make_id("005", "A0", 1), password="p"
        ),
    )
    apps = (
        ConnectedAppConfig(
            name="pw",
            client_id="pw-app",
            client_secret="pw-secret",
            allowed_flows=frozenset({"password"}),
        ),
    )
    org = start_org(org_config_factory(users=users, connected_apps=apps))
    response = token_request(
        org,
        grant_type="password",
        client_id="pw-app",
        client_secret="pw-secret",
        username=TEST_USERNAME,
        password="p",
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "authentication failure",
    }
