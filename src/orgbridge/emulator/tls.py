"""A local certificate authority and server certificate for the emulator's HTTPS.

Real clients need TLS (simple-salesforce always builds https:// URLs), so each
emulated org serves HTTPS with a certificate for 127.0.0.1 and localhost, signed by a
CA that trustme generates. The CA is written to ``ca.pem`` (and its key to
``ca-key.pem``) in the TLS folder and reused when the folder already holds them, so
clients configured with that ``ca.pem`` keep trusting the emulator across restarts.
"""

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import trustme

logger = logging.getLogger(__name__)

SERVER_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class TlsFiles:
    """The PEM files one HTTPS server and its clients need."""

    ca_bundle: Path
    server_cert: Path
    server_key: Path


def prepare_tls(tls_dir: Path) -> TlsFiles:
    """Write a server certificate for 127.0.0.1 and localhost, signed by the CA.

    Loads the CA from ``tls_dir`` if ``ca.pem`` and ``ca-key.pem`` are there, else
    creates one. The private keys are written with mode 0600.
    """
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca = _load_or_create_ca(tls_dir)

    server = ca.issue_cert(*SERVER_NAMES)
    files = TlsFiles(
        ca_bundle=tls_dir / "ca.pem",
        server_cert=tls_dir / "server.pem",
        server_key=tls_dir / "server-key.pem",
    )
    server.cert_chain_pems[0].write_to_path(str(files.server_cert))
    _write_private(files.server_key, server.private_key_pem.bytes())
    return files


def _load_or_create_ca(tls_dir: Path) -> trustme.CA:
    ca_path = tls_dir / "ca.pem"
    key_path = tls_dir / "ca-key.pem"
    if ca_path.exists() and key_path.exists():
        logger.info("reusing the emulator CA in %s", tls_dir)
        return trustme.CA.from_pem(ca_path.read_bytes(), key_path.read_bytes())

    ca = trustme.CA(organization_name="orgbridge emulator")
    ca.cert_pem.write_to_path(str(ca_path))
    _write_private(key_path, ca.private_key_pem.bytes())
    logger.info("created an emulator CA in %s", tls_dir)
    return ca


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
