"""orgbridge as a method: a generated config and ``orgbridge run`` as a subprocess.

Unlike the other methods this is not a script of its own: the harness runs the
real ``orgbridge`` command, so what is measured is what a user runs. This module
writes the config, builds the command line and reads the run's outcome from the
command's summary line and its JSON log lines.
"""

import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.methods.common import SOURCE_SECRET_VARIABLE, TARGET_SECRET_VARIABLE
from bench.orgs import CASE_FIELDS, EXTERNAL_ID_FIELD, OrgAccess

PAIR = "cases"
# "pair cases: succeeded; read 10, sent 10, created 10, updated 0, skipped 0,
# dead-lettered 0; API calls source 1, target 2; cursor ..."
_SUMMARY = re.compile(
    r"^pair (?P<pair>\S+): (?P<status>[\w-]+); read (?P<read>\d+), sent (?P<sent>\d+),"
    r" created (?P<created>\d+), updated (?P<updated>\d+), skipped (?P<skipped>\d+),"
    r" dead-lettered (?P<dead>\d+); API calls source (?P<source_calls>\d+),"
    r" target (?P<target_calls>\d+)"
)
_RUN_OPENED = re.compile(r"^pair \S+: reading \S+ of org ")


def write_config(
    workdir: Path, source: OrgAccess, target: OrgAccess, *, concurrency: int
) -> Path:
    """Write ``orgbridge.toml`` for A -> B with the state store in ``workdir``."""
    fields = ", ".join(f'"{name}"' for name in CASE_FIELDS)
    text = f"""\
[state]
url = "sqlite:///state.sqlite"

[orgs.a]
auth = "client_credentials"
login_url = "{source.instance_url}"
api_version = "62.0"
client_id = "{source.client_id}"
client_secret = {{ env = "{SOURCE_SECRET_VARIABLE}" }}
ca_bundle = "{source.ca_bundle}"

[orgs.b]
auth = "client_credentials"
login_url = "{target.instance_url}"
api_version = "62.0"
client_id = "{target.client_id}"
client_secret = {{ env = "{TARGET_SECRET_VARIABLE}" }}
ca_bundle = "{target.ca_bundle}"

[pairs.{PAIR}]
source = "a"
target = "b"
object = "Case"
mode = "created"
external_id_field = "{EXTERNAL_ID_FIELD}"
start = "all"
concurrency = {concurrency}
fields = [{fields}]
"""
    path = workdir / "orgbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def command(config_path: Path) -> list[str]:
    """Return the ``orgbridge run`` command line of this virtualenv."""
    executable = Path(sys.executable).parent / "orgbridge"
    return [
        str(executable),
        "run",
        "--config",
        str(config_path),
        "--log-format",
        "json",
    ]


def parse_outcome(stdout: str, stderr: str) -> dict[str, Any]:
    """Read sent/succeeded/failed and the engine's run time from the output.

    ``work_seconds`` runs from the engine's first log line of the run ("reading
    Case of org a") to its summary log line. Like the scripts' work time, it includes
    the logins, the first query page and the writes. It leaves out interpreter
    start, imports and the state store's schema check, which the process wall time
    includes.
    """
    match = None
    for line in stdout.splitlines():
        match = _SUMMARY.match(line) or match
    if match is None:
        raise ValueError(f"no run summary in orgbridge's output: {stderr[-800:]}")

    sent = int(match["sent"])
    dead = int(match["dead"])
    return {
        "status": match["status"],
        "read": int(match["read"]),
        "sent": sent,
        "succeeded": int(match["created"]) + int(match["updated"]),
        "failed": dead,
        "skipped": int(match["skipped"]),
        "work_seconds": _run_seconds(stderr),
    }


def _run_seconds(stderr: str) -> float | None:
    started: datetime | None = None
    finished: datetime | None = None
    for line in stderr.splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        message = str(entry.get("message", ""))
        when = datetime.fromisoformat(entry["time"])
        if started is None and _RUN_OPENED.match(message):
            started = when
        elif _SUMMARY.match(message):
            finished = when
    if started is None or finished is None:
        return None
    return (finished - started).total_seconds()
