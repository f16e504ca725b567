"""Helpers for the emulator's OAuth and app tests: clients, tokens, JWT keys."""

import datetime
import ssl
import time
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from orgbridge.emulator.server import EmulatedOrg

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The connected app and user of ``org_config_factory`` in tests/conftest.py.
TEST_USERNAME = "admin@tests.example"
TEST_CLIENT_ID = "test-client"
TEST_CLIENT_SECRET = "test-client-secret-6d1f"


def client(org: EmulatedOrg) -> httpx.Client:
    """Return an httpx client for the org that verifies its certificate."""
    context = ssl.create_default_context(cafile=str(org.ca_bundle))
    return httpx.Client(base_url=org.instance_url, verify=context)


def token_request(org: EmulatedOrg, **form: str) -> httpx.Response:
    """POST a form to the org's token endpoint."""
    with client(org) as http:
        return http.post("/services/oauth2/token", data=form)


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for an access token."""
    return {"Authorization": f"Bearer {token}"}


def rsa_key_and_certificate() -> tuple[rsa.RSAPrivateKey, str]:
    """Return an RSA key and a PEM self-signed certificate for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwt-test")])
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


def assertion(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    """Sign JWT bearer claims with RS256; ``exp`` defaults to two minutes ahead."""
    claims.setdefault("exp", int(time.time()) + 120)
    return jwt.encode(claims, key, algorithm="RS256")
