"""The emulator's answers to malformed requests: Salesforce's status and errorCode.

tests/emulator covers auth headers, unknown API versions, reused authorization
codes, wrong PKCE verifiers and expired, wrongly addressed or wrongly signed JWTs.
This adds raw REST bodies, ids and sizes, forged JWTs and odd token requests.
No request may get a 500.
"""

import base64
import datetime
import hashlib
import hmac
import json
import ssl
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_USERNAME
from orgbridge.emulator.config import ConnectedAppConfig, OrgConfig
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.ids import make_id

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_CLIENT_ID = "drill-jwt-app"
LOGIN = "https://login.salesforce.com"
CASES = "/services/data/v62.0/sobjects/Case"


def rsa_key_and_certificate() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "drill-jwt")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@pytest.fixture(scope="module")
def jwt_key() -> tuple[rsa.RSAPrivateKey, str]:
    return rsa_key_and_certificate()


@pytest.fixture
def org(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
    jwt_key: tuple[rsa.RSAPrivateKey, str],
) -> EmulatedOrg:
    """The test org plus a JWT bearer app whose certificate is ``jwt_key``'s."""
    base = org_config_factory()
    jwt_app = ConnectedAppConfig(
        name="drill-jwt",
        client_id=JWT_CLIENT_ID,
        allowed_flows=frozenset({"jwt_bearer"}),
        jwt_certificate_pem=jwt_key[1],
    )
    return start_org(org_config_factory(connected_apps=(*base.connected_apps, jwt_app)))


def http(org: EmulatedOrg) -> httpx.Client:
    return httpx.Client(
        base_url=org.instance_url,
        verify=ssl.create_default_context(cafile=str(org.ca_bundle)),
    )


def access_token(org: EmulatedOrg) -> str:
    with http(org) as client:
        response = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": TEST_CLIENT_ID,
                "client_secret": TEST_CLIENT_SECRET,
            },
        )
    response.raise_for_status()
    return str(response.json()["access_token"])


def assert_rest_error(response: httpx.Response, status: int, error_code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list), body
    assert body[0]["errorCode"] == error_code, body
    assert body[0]["message"]


# (name, method, path, headers, body, status, errorCode)
REST_CASES: list[tuple[str, str, str, dict[str, str], bytes, int, str]] = [
    ("malformed JSON", "POST", CASES, {}, b'{"Subject": "x",', 400,
     "JSON_PARSER_ERROR"),
    ("empty body", "POST", CASES, {}, b"", 400, "JSON_PARSER_ERROR"),
    ("array for a record", "POST", CASES, {}, b'[{"Subject": "x"}]', 400,
     "JSON_PARSER_ERROR"),
    ("invalid UTF-8", "POST", CASES, {}, b'{"Subject": "\xff\xfe"}', 400,
     "JSON_PARSER_ERROR"),
    ("text/plain body", "POST", CASES, {"Content-Type": "text/plain"},
     b'{"Subject": "x"}', 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("XML body", "POST", CASES, {"Content-Type": "application/xml"},
     b"<Case><Subject>x</Subject></Case>", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("unknown field", "POST", CASES, {}, b'{"Subject": "x", "Colour__c": "red"}',
     400, "INVALID_FIELD"),
    ("read-only field", "POST", CASES, {}, b'{"CaseNumber": "1"}', 400,
     "INVALID_FIELD_FOR_INSERT_UPDATE"),
    ("wrong JSON type", "POST", CASES, {}, b'{"IsEscalated": "yes"}', 400,
     "JSON_PARSER_ERROR"),
    ("nested object", "POST", CASES, {}, b'{"Subject": {"a": 1}}', 400,
     "JSON_PARSER_ERROR"),
    ("malformed lookup id", "POST", CASES, {}, b'{"ParentId": "500xyz"}', 400,
     "MALFORMED_ID"),
    ("unknown sObject", "POST", "/services/data/v62.0/sobjects/Widget__c", {},
     b'{"Name": "x"}', 404, "NOT_FOUND"),
    ("Id of another object", "GET", f"{CASES}/{make_id('003', 'A0', 1)}", {}, b"",
     404, "NOT_FOUND"),
    ("Case Id never created", "GET", f"{CASES}/{make_id('500', 'A0', 999)}", {},
     b"", 404, "NOT_FOUND"),
    ("patch with malformed JSON", "PATCH", f"{CASES}/{make_id('500', 'A0', 1)}", {},
     b"{", 400, "JSON_PARSER_ERROR"),
    ("collection records not a list", "POST", "/services/data/v62.0/composite/sobjects",
     {}, b'{"allOrNone": false, "records": {"a": 1}}', 400, "JSON_PARSER_ERROR"),
    ("SOQL syntax", "GET", "/services/data/v62.0/query?q=SELEC+Id+FROM+Case", {}, b"",
     400, "MALFORMED_QUERY"),
    ("SOQL unknown field", "GET",
     "/services/data/v62.0/query?q=SELECT+Colour__c+FROM+Case", {}, b"", 400,
     "INVALID_FIELD"),
    ("unknown query locator", "GET",
     "/services/data/v62.0/query/01gA0000000XXXXAAA-2000", {}, b"", 400,
     "INVALID_QUERY_LOCATOR"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "error_code"),
    [case[1:] for case in REST_CASES],
    ids=[case[0] for case in REST_CASES],
)
def test_rest_bad_request_answer(
    emulated_org: EmulatedOrg,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    error_code: str,
) -> None:
    token = access_token(emulated_org)
    sent_headers = {"Content-Type": "application/json", **headers}
    sent_headers["Authorization"] = f"Bearer {token}"
    with http(emulated_org) as client:
        response = client.request(method, path, headers=sent_headers, content=body)
    assert_rest_error(response, status, error_code)


def test_collection_over_200_records(emulated_org: EmulatedOrg) -> None:
    records = [{"attributes": {"type": "Case"}, "Subject": "x"}] * 201
    with http(emulated_org) as client:
        response = client.post(
            "/services/data/v62.0/composite/sobjects",
            json={"allOrNone": False, "records": records},
            headers={"Authorization": f"Bearer {access_token(emulated_org)}"},
        )
    assert response.status_code == 400, response.text
    assert response.json()[0]["errorCode"]


def test_huge_body_rejected_not_crashed(emulated_org: EmulatedOrg) -> None:
    body = b'{"Description": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    with http(emulated_org) as client:
        response = client.post(
            CASES,
            content=body,
            headers={
                "Authorization": f"Bearer {access_token(emulated_org)}",
                "Content-Type": "application/json",
            },
        )
    assert_rest_error(response, 413, "REQUEST_ENTITY_TOO_LARGE")


def token_error(org: EmulatedOrg, **request: Any) -> dict[str, Any]:
    with http(org) as client:
        response = client.post("/services/oauth2/token", **request)
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body, dict), body
    return dict(body)


def claims(**changes: Any) -> dict[str, Any]:
    values = {
        "iss": JWT_CLIENT_ID,
        "sub": TEST_USERNAME,
        "aud": LOGIN,
        "exp": int(time.time()) + 120,
    }
    values.update(changes)
    return values


def test_jwt_forgeries_rejected(
    org: EmulatedOrg, jwt_key: tuple[rsa.RSAPrivateKey, str]
) -> None:
    key, certificate = jwt_key
    genuine = jwt.encode(claims(), key, algorithm="RS256")
    header, _, signature = genuine.split(".")
    other = jwt.encode(claims(sub="someone@else.example"), key, algorithm="RS256")
    forgeries = {
        "unsigned (alg none)": jwt.encode(claims(), None, algorithm="none"),
        # The public certificate used as an HMAC secret: algorithm confusion.
        "HS256 keyed with the certificate": _hs256(claims(), certificate),
        "payload swapped under a valid signature": ".".join(
            [header, other.split(".")[1], signature]
        ),
        "signature stripped": f"{header}.{genuine.split('.')[1]}.",
    }
    accepted = []
    with http(org) as client:
        for name, assertion in forgeries.items():
            response = client.post(
                "/services/oauth2/token",
                data={"grant_type": JWT_GRANT, "assertion": assertion},
            )
            if response.status_code != 400 or "access_token" in response.text:
                accepted.append(name)
            elif response.json()["error"] != "invalid_grant":
                accepted.append(f"{name}: {response.json()}")
    assert accepted == []


def _hs256(payload: dict[str, Any], secret: str) -> str:
    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    signing_input = ".".join(
        encode(json.dumps(part).encode())
        for part in ({"alg": "HS256", "typ": "JWT"}, payload)
    )
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{encode(mac)}"


def test_token_request_odd_bodies(org: EmulatedOrg) -> None:
    as_json = token_error(
        org,
        json={
            "grant_type": "client_credentials",
            "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET,
        },
    )
    no_assertion = token_error(org, data={"grant_type": JWT_GRANT})
    garbage = token_error(
        org,
        content=b"\xff\xfe%%%=&&",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert as_json["error"] in ("unsupported_grant_type", "invalid_request")
    assert no_assertion["error"] in ("invalid_request", "invalid_grant")
    assert garbage["error"] in ("unsupported_grant_type", "invalid_request")
