"""The demo end to end, with fewer Cases: it checks its own result."""

from pathlib import Path

import pytest
from rich.console import Console

from orgbridge.demo.run import run_demo


def test_demo_delivers_every_case_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORGBRIDGE_DEMO_A_SECRET", raising=False)
    console = Console(record=True, width=120)

    # A relative folder, as `make demo` passes it.
    monkeypatch.chdir(tmp_path)
    run_demo(Path("demo"), cases=120, console=console)

    output = console.export_text()
    assert "0 missing, 0 duplicated" in output
    assert "Org A: 145 Cases. Org B: 145 Cases" in output
    assert (tmp_path / "demo" / "orgbridge.toml").exists()
