"""Query plans: large filters and sorts on SystemModstamp use its index."""

import pytest
from soql_dataset import NOW, open_org

from orgbridge.emulator.soql.dates import user_time_zone
from orgbridge.emulator.soql.parser import parse
from orgbridge.emulator.soql.translator import RecordPlan, Translator


def _plan_details(soql: str) -> tuple[str, str]:
    db, schema, _ = open_org(filled=False)
    plan = Translator(soql, schema, NOW, user_time_zone("UTC"), False).plan(parse(soql))
    assert isinstance(plan, RecordPlan)

    ids = db.execute("EXPLAIN QUERY PLAN " + plan.ids_sql, plan.ids_params).fetchall()
    page = db.execute("EXPLAIN QUERY PLAN " + plan.page_sql, (1, 2001)).fetchall()
    db.close()
    return " | ".join(row[3] for row in ids), " | ".join(row[3] for row in page)


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Case WHERE SystemModstamp > 2024-01-01T00:00:00Z "
        "ORDER BY SystemModstamp",
        "SELECT Id, Subject FROM Case WHERE SystemModstamp >= 2024-01-01T00:00:00Z "
        "AND SystemModstamp < 2024-02-01T00:00:00Z ORDER BY SystemModstamp DESC",
        "SELECT Id FROM Case WHERE SystemModstamp = LAST_N_DAYS:7 "
        "ORDER BY SystemModstamp",
    ],
)
def test_modstamp_query_uses_index(soql: str) -> None:
    ids_plan, _ = _plan_details(soql)

    assert "USING INDEX ix_Case_SystemModstamp" in ids_plan
    assert "TEMP B-TREE" not in ids_plan


def test_page_reads_snapshot_by_rowid_range() -> None:
    soql = "SELECT Id, Account.Name, Owner.Name FROM Case ORDER BY SystemModstamp"

    _, page_plan = _plan_details(soql)

    assert "SEARCH page USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in page_plan
    assert "SCAN" not in page_plan
