"""Revoke, introspect, userinfo, the identity URL and the authorize endpoint."""

from urllib.parse import parse_qs, urlsplit

from oauth_helpers import (
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    TEST_USERNAME,
    bearer,
    client,
    token_request,
)

from orgbridge.emulator.server import EmulatedOrg

CALLBACK = "http://localhost:1717/OauthRedirect"


def tokens(org: EmulatedOrg) -> dict[str, str]:
    """Get an access and refresh token through the authorization code flow."""
    with client(org) as http:
        redirect = http.get(
            "/services/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": TEST_CLIENT_ID,
                "redirect_uri": CALLBACK,
            },
        )
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    response = token_request(
        org,
        grant_type="authorization_code",
        code=code,
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
        redirect_uri=CALLBACK,
    )
    assert response.status_code == 200
    return dict(response.json())


def limits_status(org: EmulatedOrg, access_token: str) -> int:
    with client(org) as http:
        path = "/services/data/v62.0/limits/"
        return http.get(path, headers=bearer(access_token)).status_code


def test_revoke_refresh_revokes_access(emulated_org: EmulatedOrg) -> None:
    issued = tokens(emulated_org)
    with client(emulated_org) as http:
        revoked = http.post(
            "/services/oauth2/revoke", data={"token": issued["refresh_token"]}
        )
        again = http.post("/services/oauth2/revoke", data={"token": "unknown"})
        missing = http.post("/services/oauth2/revoke", data={})

    assert revoked.status_code == 200
    assert revoked.content == b""
    assert limits_status(emulated_org, issued["access_token"]) == 401
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"
    assert missing.status_code == 400
    assert missing.json()["error"] == "unsupported_token_type"


def test_revoke_access_keeps_refresh(emulated_org: EmulatedOrg) -> None:
    issued = tokens(emulated_org)
    with client(emulated_org) as http:
        http.post("/services/oauth2/revoke", data={"token": issued["access_token"]})
    refreshed = token_request(
        emulated_org,
        grant_type="refresh_token",
        refresh_token=issued["refresh_token"],
        client_id=TEST_CLIENT_ID,
    )

    assert limits_status(emulated_org, issued["access_token"]) == 401
    assert refreshed.status_code == 200


def test_introspect(emulated_org: EmulatedOrg) -> None:
    issued = tokens(emulated_org)
    auth = (TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    with client(emulated_org) as http:
        url = "/services/oauth2/introspect"
        active = http.post(url, data={"token": issued["access_token"]}, auth=auth)
        refresh = http.post(url, data={"token": issued["refresh_token"]}, auth=auth)
        unknown = http.post(url, data={"token": "nope"}, auth=auth)
        no_client = http.post(url, data={"token": issued["access_token"]})
    body = active.json()

    assert body["active"] is True
    assert body["token_type"] == "access_token"
    assert body["username"] == TEST_USERNAME
    assert body["client_id"] == TEST_CLIENT_ID
    assert body["exp"] > body["iat"]
    assert body["sub"] == issued["id"]
    assert refresh.json()["token_type"] == "refresh_token"
    assert unknown.json() == {"active": False}
    assert no_client.status_code == 400


def test_userinfo(emulated_org: EmulatedOrg) -> None:
    issued = tokens(emulated_org)
    with client(emulated_org) as http:
        info = http.get(
            "/services/oauth2/userinfo", headers=bearer(issued["access_token"])
        )
        denied = http.get("/services/oauth2/userinfo")
    body = info.json()

    assert body["user_id"] == emulated_org.config.users[0].user_id
    assert body["organization_id"] == emulated_org.config.org_id
    assert body["preferred_username"] == TEST_USERNAME
    assert body["sub"] == issued["id"]
    assert body["urls"]["rest"].endswith("/services/data/v{version}/")
    assert denied.status_code == 401


def test_identity_url(emulated_org: EmulatedOrg) -> None:
    issued = tokens(emulated_org)
    with client(emulated_org) as http:
        own = http.get(
            issued["id"],
            params={"version": "62.0"},
            headers=bearer(issued["access_token"]),
        )
        other = http.get(
            issued["id"].rsplit("/", 1)[0] + "/005A00000000009AAA",
            headers=bearer(issued["access_token"]),
        )
    body = own.json()

    assert own.status_code == 200
    assert body["id"] == issued["id"]
    assert body["username"] == TEST_USERNAME
    assert body["urls"]["query"].endswith("/services/data/v62.0/query/")
    assert other.status_code == 403


def test_authorize_errors(emulated_org: EmulatedOrg) -> None:
    with client(emulated_org) as http:
        unknown_client = http.get(
            "/services/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": "x",
                "redirect_uri": CALLBACK,
            },
        )
        bad_redirect = http.get(
            "/services/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": TEST_CLIENT_ID,
                "redirect_uri": "https://evil.example/cb",
            },
        )
        bad_type = http.get(
            "/services/oauth2/authorize",
            params={
                "response_type": "token",
                "client_id": TEST_CLIENT_ID,
                "redirect_uri": CALLBACK,
                "state": "s1",
            },
        )
    redirect = parse_qs(urlsplit(bad_type.headers["location"]).query)

    assert unknown_client.status_code == 400
    assert unknown_client.json()["error"] == "invalid_client_id"
    assert bad_redirect.status_code == 400
    assert bad_redirect.json()["error"] == "redirect_uri_mismatch"
    assert bad_type.status_code == 302
    assert redirect["error"] == ["unsupported_response_type"]
    assert redirect["state"] == ["s1"]
