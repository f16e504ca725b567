"""Options, login and result output shared by the alternative scripts.

The alternatives stand for scripts written without orgbridge, so this module and
the scripts import only requests and simple-salesforce, never orgbridge. The
harness passes the orgs as options and the client secrets in the environment
variables SOURCE_SECRET_VARIABLE and TARGET_SECRET_VARIABLE.
"""

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import requests
from simple_salesforce.api import Salesforce

API_VERSION = "62.0"
SOURCE_SECRET_VARIABLE = "BENCH_SOURCE_SECRET"
TARGET_SECRET_VARIABLE = "BENCH_TARGET_SECRET"
REQUEST_TIMEOUT_SECONDS = 600
CASE_FIELDS = (
    "Subject",
    "Description",
    "Status",
    "Origin",
    "Priority",
    "Type",
    "Reason",
    "SuppliedName",
    "SuppliedEmail",
    "SuppliedCompany",
)
# The query of the original design: every Case created today, in the running
# user's time zone.
TODAY_SOQL = f"SELECT Id, {', '.join(CASE_FIELDS)} FROM Case WHERE CreatedDate = TODAY"


@dataclass(frozen=True)
class ScriptOptions:
    """The orgs a script moves Cases between, and an optional cap on Cases."""

    source_url: str
    target_url: str
    source_client_id: str
    target_client_id: str
    ca_bundle: str
    limit: int | None


def parse_options(description: str, argv: Sequence[str] | None = None) -> ScriptOptions:
    """Read the command-line options every alternative script takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--source-url", required=True, help="Org A's instance URL.")
    parser.add_argument("--target-url", required=True, help="Org B's instance URL.")
    parser.add_argument("--source-client-id", required=True)
    parser.add_argument("--target-client-id", required=True)
    parser.add_argument(
        "--ca-bundle", required=True, help="CA PEM that verifies both orgs."
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="Move at most this many Cases."
    )
    args = parser.parse_args(argv)
    return ScriptOptions(
        source_url=args.source_url,
        target_url=args.target_url,
        source_client_id=args.source_client_id,
        target_client_id=args.target_client_id,
        ca_bundle=args.ca_bundle,
        limit=args.limit,
    )


def connect(
    instance_url: str, client_id: str, secret_variable: str, ca_bundle: str
) -> Salesforce:
    """Log in with the client credentials flow and return a simple-salesforce client.

    simple-salesforce's own login helpers post to login.salesforce.com, so the token
    is fetched here and handed over as ``session_id``.
    """
    session = requests.Session()
    session.verify = ca_bundle
    response = session.post(
        f"{instance_url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": os.environ[secret_variable],
        },
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    return Salesforce(
        instance_url=instance_url,
        session_id=token,
        session=session,
        version=API_VERSION,
    )


def connect_both(options: ScriptOptions) -> tuple[Salesforce, Salesforce]:
    """Log in to the source and the target org."""
    source = connect(
        options.source_url,
        options.source_client_id,
        SOURCE_SECRET_VARIABLE,
        options.ca_bundle,
    )
    target = connect(
        options.target_url,
        options.target_client_id,
        TARGET_SECRET_VARIABLE,
        options.ca_bundle,
    )
    return source, target


def print_result(sent: int, succeeded: int, failed: int, started: float) -> None:
    """Print the JSON result line the harness reads."""
    result = {
        "sent": sent,
        "succeeded": succeeded,
        "failed": failed,
        "work_seconds": time.perf_counter() - started,
    }
    print(json.dumps(result), flush=True)
