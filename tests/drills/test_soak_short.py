"""The short soak: 600 Cases, injected faults, two SIGKILLs; nothing lost or doubled.

It runs ``python -m bench.soak`` (the drill ``make soak`` runs at 10,000 Cases and
five kills) with small upsert batches, so both kills land while Cases are moving,
and with tokens expiring every 15 calls instead of 200, so expiry happens at all.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_short_soak_loses_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--cases",
            "600",
            "--kills",
            "2",
            "--batch-size",
            "20",
            # B takes about 50 calls here, so 200 (the long soak's value) never fires.
            "--token-expiry-calls",
            "15",
            "--workdir",
            str(tmp_path),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])

    assert summary["problems"] == []
    assert summary["cases"] == 600
    assert summary["landed"] == 594
    assert summary["missing"] == 0
    assert summary["duplicated"] == 0
    assert summary["wrong_values"] == 0
    assert summary["dead_letters"] == {
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST ['Status']": 6
    }
    assert summary["kills"] == 2
    assert [run["exit_code"] for run in summary["runs"][:2]] == [-9, -9]
    # The faults really fired: the client retried, and logged in more than once.
    assert sum(summary["retries"].values()) > 0
    assert summary["tokens_obtained"] > 2 * len(summary["runs"])
