"""The preflight check on two emulated orgs: every finding kind and exit codes."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orgbridge.cli.main import cli
from orgbridge.emulator.config import CustomFieldConfig, PicklistConfig
from orgbridge.sync.check import ERROR, WARNING, Finding, check_pair

from .conftest import B_EXTERNAL_ID_FIELD, B_STATUS_PICKLIST, Orgs

B_FIELDS = (
    B_EXTERNAL_ID_FIELD,
    CustomFieldConfig(sobject="Case", name="Short_Subject__c", length=20),
    CustomFieldConfig(sobject="Case", name="Weak_Id__c", length=10),
)
B_PICKLISTS = (
    B_STATUS_PICKLIST,
    # Not restricted, and without the source's "Medium".
    PicklistConfig(sobject="Case", field="Priority", values=("Low", "High")),
)
A_FIELDS = (CustomFieldConfig(sobject="Case", name="Short_Target__c", length=18),)


@pytest.fixture
def check_orgs(orgs_factory: Callable[..., Orgs]) -> Orgs:
    """A with a short custom field; B with short, weak and unrestricted fields."""
    return orgs_factory(
        b_changes={"custom_fields": B_FIELDS, "picklists": B_PICKLISTS},
        custom_fields=A_FIELDS,
    )


async def _findings(orgs: Orgs, **table: Any) -> list[Finding]:
    async with orgs.client("a") as a, orgs.client("b") as b:
        return await check_pair(orgs.pair(**table), a, b)


def _problems(findings: list[Finding], field: str) -> list[tuple[str, str]]:
    return [(f.severity, f.problem) for f in findings if f.field == field]


def _single(findings: list[Finding], field: str) -> tuple[str, str]:
    problems = _problems(findings, field)
    assert len(problems) == 1, problems
    return problems[0]


async def test_check_clean_pair_has_no_findings(check_orgs: Orgs) -> None:
    assert await _findings(check_orgs, fields=["Subject", "Description"]) == []


async def test_check_mapped_field_problems(check_orgs: Orgs) -> None:
    findings = await _findings(
        check_orgs,
        fields={
            "Description": "Missing_Field__c",
            "SuppliedEmail": "ContactEmail",
            "Subject": "Short_Subject__c",
            "Origin": "IsEscalated",
        },
    )

    assert _single(findings, "Missing_Field__c") == (ERROR, "missing in the target")
    assert _problems(findings, "ContactEmail") == [
        (ERROR, "not createable"),
        (ERROR, "not updateable (resends update it)"),
    ]
    severity, problem = _single(findings, "Short_Subject__c")
    assert severity == ERROR
    assert problem.startswith("too short: length 20 < source length 255")
    severity, problem = _single(findings, "IsEscalated")
    assert severity == ERROR
    assert problem == "type boolean does not take the source's picklist (Origin)"
    assert len(findings) == 5


async def test_check_missing_source_field(check_orgs: Orgs) -> None:
    findings = await _findings(check_orgs, fields={"No_Such__c": "Subject"})

    assert findings == [Finding(ERROR, "a", "No_Such__c", "missing in the source")]


async def test_check_picklist_values(check_orgs: Orgs) -> None:
    findings = await _findings(check_orgs, fields=["Status", "Priority"])

    severity, problem = _single(findings, "Status")
    assert severity == ERROR
    assert "'Escalated'" in problem
    assert "restricted picklist" in problem
    severity, problem = _single(findings, "Priority")
    assert severity == WARNING
    assert "'Medium'" in problem
    assert "not restricted" in problem


async def test_check_value_map_clears_picklist_error(check_orgs: Orgs) -> None:
    findings = await _findings(
        check_orgs,
        fields=["Status"],
        value_maps={"Status": {"Escalated": "Working"}},
    )
    assert findings == []


async def test_check_external_id_missing(check_orgs: Orgs) -> None:
    findings = await _findings(
        check_orgs, fields=["Subject"], external_id_field="Absent_Id__c"
    )

    severity, problem = _single(findings, "Absent_Id__c")
    assert severity == ERROR
    assert problem.startswith("external-ID field missing")


async def test_check_external_id_not_set_up(check_orgs: Orgs) -> None:
    findings = await _findings(
        check_orgs, fields=["Subject"], external_id_field="Weak_Id__c"
    )

    assert _problems(findings, "Weak_Id__c") == [
        (ERROR, "not marked External ID"),
        (ERROR, "not Unique: a resend could not match one Case"),
        (ERROR, "must be Text with length >= 18"),
        (
            WARNING,
            "not case-sensitive: 15-character Ids differing only in case would "
            "match each other",
        ),
    ]


@pytest.mark.parametrize(
    ("write_back", "field", "problem"),
    [
        ("No_Such__c", "No_Such__c", "write-back field missing"),
        ("ContactEmail", "ContactEmail", "write-back field not updateable"),
        (
            {"field": "Short_Target__c", "value": "CaseNumber"},
            "Short_Target__c",
            "write-back of CaseNumber needs a Text field of length >= 30",
        ),
        (
            "IsEscalated",
            "IsEscalated",
            "write-back of Id needs a Text field of length >= 18",
        ),
    ],
)
async def test_check_write_back_problems(
    check_orgs: Orgs, write_back: object, field: str, problem: str
) -> None:
    findings = await _findings(check_orgs, fields=["Subject"], write_back=write_back)

    assert findings == [Finding(ERROR, "a", field, problem)]


async def test_check_write_back_field_that_fits(check_orgs: Orgs) -> None:
    findings = await _findings(
        check_orgs, fields=["Subject"], write_back="Short_Target__c"
    )
    assert findings == []


def _config(orgs: Orgs, tmp_path: Path, pair_table: str) -> str:
    text = orgs.toml().replace(
        'fields = ["Subject", "Status"]\n', pair_table.strip() + "\n"
    )
    path = tmp_path / "orgbridge.toml"
    path.write_text(text)
    return str(path)


def test_check_exit_0_when_clean(check_orgs: Orgs, tmp_path: Path) -> None:
    config = _config(check_orgs, tmp_path, 'fields = ["Subject"]')
    result = CliRunner().invoke(cli, ["check", "--config", config])

    assert result.exit_code == 0, result.output
    assert "pair a_to_b: no problems found" in result.stdout


def test_check_exit_0_with_warnings_only(check_orgs: Orgs, tmp_path: Path) -> None:
    config = _config(check_orgs, tmp_path, 'fields = ["Subject", "Priority"]')
    result = CliRunner().invoke(cli, ["check", "--config", config])

    assert result.exit_code == 0, result.output
    assert "warning" in result.stdout
    assert "'Medium'" in result.stdout


def test_check_exit_1_on_errors(check_orgs: Orgs, tmp_path: Path) -> None:
    config = _config(
        check_orgs, tmp_path, 'fields = ["Subject"]\nexternal_id_field = "Weak_Id__c"'
    )
    result = CliRunner().invoke(cli, ["check", "--config", config])

    assert result.exit_code == 1, result.output
    assert "not marked External ID" in result.stdout


def test_check_exit_2_on_unknown_pair(check_orgs: Orgs, tmp_path: Path) -> None:
    config = _config(check_orgs, tmp_path, 'fields = ["Subject"]')
    result = CliRunner().invoke(cli, ["check", "--config", config, "--pair", "nope"])

    assert result.exit_code == 2
    assert "unknown pair(s) nope" in result.stderr


def test_check_exit_2_on_failed_login(
    check_orgs: Orgs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(check_orgs, tmp_path, 'fields = ["Subject"]')
    monkeypatch.setenv("ORGBRIDGE_TEST_B_SECRET", "wrong-secret")
    result = CliRunner().invoke(cli, ["check", "--config", config])

    assert result.exit_code == 2
    last_line = result.stderr.splitlines()[-1]
    assert last_line.startswith("error: ")
    assert "invalid_client" in last_line
    assert "Traceback" not in result.output
    assert "wrong-secret" not in result.output
