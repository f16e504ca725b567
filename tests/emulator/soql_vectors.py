"""Query vectors for the SOQL engine: a query and its expected rows or error.

Each vector runs against the data set in soql_dataset.py as a user in
America/Los_Angeles unless it names another ``zone``. ``ids`` lists the expected
records by label, in order when the query has ORDER BY and as a set otherwise;
``count`` is the expected totalSize of a COUNT() query; ``error`` is the expected
errorCode and a piece of its message.
"""

from typing import Any

V = dict[str, Any]
ALL_LIVE = [f"case{n}" for n in range(1, 13) if n != 11]

SUPPORTED: list[V] = [
    # SELECT lists and FROM.
    {"q": "SELECT Id FROM Case", "ids": ALL_LIVE},
    {"q": "select id from case", "ids": ALL_LIVE},
    {"q": "SELECT Id FROM Case", "ids": [*ALL_LIVE, "case11"], "all": True},
    {"q": "SELECT Id FROM Case c WHERE c.Status = 'Closed'", "ids": ["case3", "case8"]},
    {
        "q": "SELECT Id, Name FROM Account ORDER BY Name DESC",
        "ids": ["account2", "account1"],
    },
    {"q": "SELECT Id FROM User WHERE IsActive = true", "ids": ["user1"]},
    {"q": "SELECT Id FROM Group WHERE Type = 'Queue'", "ids": ["queue1"]},
    # Comparison operators on text, picklists and booleans.
    {
        "q": "SELECT Id FROM Case WHERE Status = 'New'",
        "ids": ["case1", "case4", "case5", "case7", "case10", "case12"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Status = 'new'",
        "ids": ["case1", "case4", "case5", "case7", "case10", "case12"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Status != 'New'",
        "ids": ["case2", "case3", "case6", "case8", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Status <> 'New'",
        "ids": ["case2", "case3", "case6", "case8", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Priority != 'Low'",
        "ids": ["case1", "case2", "case4", "case6", "case7", "case9", "case10"],
    },
    {"q": "SELECT Id FROM Case WHERE Priority = null", "ids": ["case7"]},
    {
        "q": "SELECT Id FROM Case WHERE Subject != null",
        "ids": [c for c in ALL_LIVE if c != "case12"],
    },
    {"q": "SELECT Id FROM Case WHERE IsEscalated = TRUE", "ids": ["case1"]},
    {
        "q": "SELECT Id FROM Case WHERE IsEscalated = false AND Status = 'Closed'",
        "ids": ["case3", "case8"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Subject < 'C' ORDER BY Subject",
        "ids": ["case4", "case6"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CaseNumber >= '00001010' ORDER BY CaseNumber",
        "ids": ["case10", "case12"],
    },
    # Escaped strings.
    {
        "q": "SELECT Id FROM Case WHERE Subject = 'O\\'Brien\\'s laptop'",
        "ids": ["case3"],
    },
    {"q": "SELECT Id FROM Case WHERE Subject = 'Back\\\\slash'", "ids": ["case6"]},
    {"q": "SELECT Id FROM Case WHERE Subject = 'Line\\nbreak'", "ids": ["case7"]},
    {"q": "SELECT Id FROM Case WHERE Subject = 'Line\\Nbreak'", "ids": ["case7"]},
    {"q": "SELECT Id FROM Case WHERE Subject = 'under\\u005fscore'", "ids": ["case5"]},
    # LIKE.
    {
        "q": "SELECT Id FROM Case WHERE Subject LIKE '%printer%'",
        "ids": ["case1", "case2", "case8"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Subject LIKE 'PRINTER%'",
        "ids": ["case1", "case2"],
    },
    {"q": "SELECT Id FROM Case WHERE Subject LIKE '100\\%%'", "ids": ["case4"]},
    {"q": "SELECT Id FROM Case WHERE Subject LIKE '%\\%%'", "ids": ["case4"]},
    {"q": "SELECT Id FROM Case WHERE Subject LIKE 'under\\_score'", "ids": ["case5"]},
    {"q": "SELECT Id FROM Case WHERE Subject LIKE 'under_score'", "ids": ["case5"]},
    {
        "q": "SELECT Id FROM Case WHERE Subject LIKE '_rinter%'",
        "ids": ["case1", "case2"],
    },
    {"q": "SELECT Id FROM Case WHERE Subject LIKE '%\\\\%'", "ids": ["case6"]},
    {
        "q": "SELECT Id FROM Case WHERE NOT Subject LIKE '%printer%'",
        "ids": [
            "case3",
            "case4",
            "case5",
            "case6",
            "case7",
            "case9",
            "case10",
            "case12",
        ],
    },
    # IN and NOT IN.
    {
        "q": "SELECT Id FROM Case WHERE Status IN ('Closed', 'Working')",
        "ids": ["case2", "case3", "case6", "case8", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Priority NOT IN ('Low', 'Medium')",
        "ids": ["case1", "case4", "case7", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Priority IN ('High', null)",
        "ids": ["case1", "case4", "case7", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Priority NOT IN ('Low', 'Medium', null)",
        "ids": ["case1", "case4", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Id IN ('{case1}', '{case2:15}')",
        "ids": ["case1", "case2"],
    },
    {"q": "SELECT Id FROM Case WHERE Id = '{case3:15}'", "ids": ["case3"]},
    {
        "q": "SELECT Id FROM Case WHERE AccountId = '{account2}' AND Id != '{case3}'",
        "ids": ["case4", "case7", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE OwnerId IN ('{queue1}')",
        "ids": ["case2", "case7"],
    },
    {
        "q": "SELECT Id FROM Account WHERE NumberOfEmployees IN (100, 5)",
        "ids": ["account1"],
    },
    # AND, OR, NOT, parentheses.
    {
        "q": "SELECT Id FROM Case WHERE Status = 'New' AND Priority = 'High'",
        "ids": ["case1", "case4"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Status = 'Closed' OR Priority = 'High'",
        "ids": ["case1", "case3", "case4", "case8", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE (Status = 'Closed' OR Priority = 'High') "
        "AND AccountId = '{account1}'",
        "ids": ["case1", "case8"],
    },
    {
        "q": "SELECT Id FROM Case WHERE NOT (Status = 'New' OR Status = 'Working')",
        "ids": ["case3", "case8"],
    },
    {
        "q": "SELECT Id FROM Case WHERE NOT Priority = 'Low'",
        "ids": ["case1", "case2", "case4", "case6", "case7", "case9", "case10"],
    },
    {"q": "SELECT Id FROM Case WHERE ((Status = 'Closed'))", "ids": ["case3", "case8"]},
    # Numbers.
    {"q": "SELECT Id FROM Account WHERE NumberOfEmployees > 50", "ids": ["account1"]},
    {
        "q": "SELECT Id FROM Account WHERE AnnualRevenue >= 20.0",
        "ids": ["account1", "account2"],
    },
    {
        "q": "SELECT Id FROM Account WHERE AnnualRevenue > -1.5",
        "ids": ["account1", "account2"],
    },
    {"q": "SELECT Id FROM Account WHERE NumberOfEmployees = null", "ids": ["account2"]},
    # Datetime literals.
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate > 2024-03-10T05:00:00Z",
        "ids": ["case4", "case5", "case6", "case7"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate >= 2024-03-10T05:00:00Z",
        "ids": ["case1", "case4", "case5", "case6", "case7"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = 2024-03-10T00:00:00-08:00",
        "ids": ["case5"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate < 2024-03-09T10:00:00+02:00",
        "ids": ["case2", "case8", "case9", "case10", "case12"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = 2024-03-09T07:59:59.999Z",
        "ids": ["case2"],
    },
    {
        "q": "SELECT Id FROM Case WHERE SystemModstamp > 2024-03-09T07:59:59.000Z "
        "AND SystemModstamp < 2024-03-09T08:00:01Z",
        "ids": ["case2", "case3"],
    },
    # Date literals on date fields.
    {
        "q": "SELECT Id FROM Account WHERE LastActivityDate = 2024-03-09",
        "ids": ["account1"],
    },
    {
        "q": "SELECT Id FROM Account WHERE LastActivityDate > 2024-03-09",
        "ids": ["account2"],
    },
    {"q": "SELECT Id FROM Contact WHERE Birthdate < 2000-01-01", "ids": ["contact1"]},
    # Relative date literals (Los Angeles: today is 2024-03-09).
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = TODAY",
        "ids": ["case1", "case3", "case4"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = TODAY",
        "zone": "UTC",
        "ids": ["case1", "case4", "case5"],
    },
    {"q": "SELECT Id FROM Case WHERE CreatedDate = YESTERDAY", "ids": ["case2"]},
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = TOMORROW",
        "ids": ["case5", "case6"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = TOMORROW",
        "zone": "UTC",
        "ids": ["case6", "case7"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate > TODAY",
        "ids": ["case5", "case6", "case7"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate < TODAY",
        "ids": ["case2", "case8", "case9", "case10", "case12"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate <= TODAY",
        "ids": [
            "case1",
            "case2",
            "case3",
            "case4",
            "case8",
            "case9",
            "case10",
            "case12",
        ],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate != TODAY",
        "ids": [
            "case2",
            "case5",
            "case6",
            "case7",
            "case8",
            "case9",
            "case10",
            "case12",
        ],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = LAST_N_DAYS:1",
        "ids": ["case1", "case2", "case3", "case4"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = LAST_N_DAYS:90",
        "ids": ["case1", "case2", "case3", "case4", "case8", "case9", "case10"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = LAST_90_DAYS",
        "ids": ["case1", "case2", "case3", "case4", "case8", "case9", "case10"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = NEXT_N_DAYS:1",
        "ids": ["case5", "case6"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = THIS_WEEK",
        "ids": ["case1", "case2", "case3", "case4", "case10"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = LAST_WEEK",
        "zone": "UTC",
        "ids": ["case2", "case3", "case10"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = NEXT_WEEK",
        "ids": ["case5", "case6", "case7"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = THIS_MONTH",
        "ids": [
            "case1",
            "case2",
            "case3",
            "case4",
            "case5",
            "case6",
            "case7",
            "case10",
        ],
    },
    {"q": "SELECT Id FROM Case WHERE CreatedDate = LAST_MONTH", "ids": []},
    {"q": "SELECT Id FROM Case WHERE CreatedDate = N_MONTHS_AGO:2", "ids": ["case9"]},
    {"q": "SELECT Id FROM Case WHERE CreatedDate = LAST_QUARTER", "ids": ["case8"]},
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = THIS_QUARTER",
        "ids": [c for c in ALL_LIVE if c not in ("case8", "case12")],
    },
    {"q": "SELECT Id FROM Case WHERE CreatedDate = LAST_YEAR", "ids": ["case8"]},
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = LAST_N_YEARS:2",
        "ids": ["case8", "case12"],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = THIS_FISCAL_YEAR",
        "ids": [c for c in ALL_LIVE if c not in ("case8", "case12")],
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = LAST_N_WEEKS:1",
        "zone": "UTC",
        "ids": ["case2", "case3", "case10"],
    },
    {"q": "SELECT Id FROM Account WHERE LastActivityDate = TODAY", "ids": ["account1"]},
    {
        "q": "SELECT Id FROM Account WHERE LastActivityDate = TODAY",
        "zone": "UTC",
        "ids": ["account2"],
    },
    {
        "q": "SELECT Id FROM Account WHERE LastActivityDate < TOMORROW",
        "ids": ["account1"],
    },
    # Parent relationships in WHERE.
    {
        "q": "SELECT Id FROM Case WHERE Account.Name = 'Globex'",
        "ids": ["case3", "case4", "case7", "case9"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Account.Parent.Name = 'Acme'",
        "ids": ["case3", "case4", "case7", "case9"],
    },
    {"q": "SELECT Id FROM Case WHERE Owner.Name = 'Tier 2'", "ids": ["case2", "case7"]},
    {"q": "SELECT Id FROM Case WHERE Owner.Type = 'Queue'", "ids": ["case2", "case7"]},
    {"q": "SELECT Id FROM Case WHERE CreatedBy.Name = 'Bob Agent'", "ids": ["case3"]},
    {
        "q": "SELECT Id FROM Case WHERE Account.Owner.IsActive = false",
        "ids": ["case3", "case4", "case7", "case9"],
    },
    # ORDER BY, LIMIT, OFFSET.
    {
        "q": "SELECT Id FROM Case ORDER BY CreatedDate LIMIT 3",
        "ids": ["case12", "case8", "case9"],
    },
    {
        "q": "SELECT Id FROM Case ORDER BY CreatedDate DESC LIMIT 2 OFFSET 1",
        "ids": ["case6", "case5"],
    },
    {
        "q": "SELECT Id FROM Case ORDER BY Subject NULLS LAST LIMIT 2 OFFSET 9",
        "ids": ["case10", "case12"],
    },
    {"q": "SELECT Id FROM Case ORDER BY Subject LIMIT 2", "ids": ["case12", "case4"]},
    {
        "q": "SELECT Id FROM Case ORDER BY Subject DESC LIMIT 1 OFFSET 10",
        "ids": ["case12"],
    },
    {
        "q": "SELECT Id FROM Case ORDER BY Subject DESC NULLS FIRST LIMIT 2",
        "ids": ["case12", "case10"],
    },
    {
        "q": "SELECT Id FROM Case WHERE Status = 'Working' "
        "ORDER BY Priority ASC, CreatedDate DESC",
        "ids": ["case9", "case6", "case2"],
    },
    {
        "q": "SELECT Id FROM Case ORDER BY Account.Name DESC, CreatedDate LIMIT 2",
        "ids": ["case9", "case3"],
    },
    {"q": "SELECT Id FROM Case ORDER BY Id LIMIT 0", "ids": []},
    {"q": "SELECT Id FROM Case WHERE Status = 'New' OFFSET 5", "ids": ["case12"]},
    # COUNT() and COUNT(field).
    {"q": "SELECT COUNT() FROM Case", "count": 11},
    {"q": "SELECT COUNT() FROM Case", "count": 12, "all": True},
    {"q": "SELECT COUNT() FROM Case WHERE Status = 'New'", "count": 6},
    {"q": "SELECT COUNT() FROM Case LIMIT 4", "count": 4},
    {"q": "SELECT COUNT() FROM Case WHERE Account.Name = 'Acme'", "count": 5},
    {"q": "SELECT COUNT(Id) FROM Case", "aggregate": {"expr0": 11}},
    {
        "q": "SELECT COUNT(Id) total, COUNT(Priority) FROM Case WHERE Status = 'New'",
        "aggregate": {"total": 6, "expr1": 5},
    },
    {
        "q": "SELECT COUNT(Subject) withSubject FROM Case",
        "aggregate": {"withSubject": 10},
    },
]

REJECTED: list[V] = [
    # Syntax.
    {"q": "SELECT FROM Case", "error": ("MALFORMED_QUERY", "unexpected token")},
    {"q": "SELECT Id Case", "error": ("MALFORMED_QUERY", "unexpected token: 'Case'")},
    {"q": "SELECT Id FROM Case WHERE", "error": ("MALFORMED_QUERY", "'EOF'")},
    {
        "q": "SELECT Id FROM Case WHERE Status = 'New' AND Priority = 'High' "
        "OR IsEscalated = true",
        "error": ("MALFORMED_QUERY", "unexpected token: 'OR'"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Subject = 'open",
        "error": ("MALFORMED_QUERY", "unterminated string"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Subject = 'bad \\q escape'",
        "error": ("MALFORMED_QUERY", "Invalid string literal"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Subject = 'a\\_b'",
        "error": ("MALFORMED_QUERY", "valid only in a LIKE pattern"),
    },
    {"q": "SELECT Id FROM Case LIMIT 'x'", "error": ("MALFORMED_QUERY", "'x'")},
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate > 2024-13-01T00:00:00Z",
        "error": ("MALFORMED_QUERY", "invalid datetime"),
    },
    {
        "q": "SELECT Id FROM Case OFFSET 2001",
        "error": ("NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Status < null",
        "error": ("MALFORMED_QUERY", "null can only be compared"),
    },
    # Unknown names.
    {
        "q": "SELECT Id, Foo FROM Case",
        "error": (
            "INVALID_FIELD",
            "\nSELECT Id, Foo FROM Case\n           ^\n"
            "ERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Case'. "
            "If you are attempting to use a custom field, be sure to append "
            "the '__c' after the custom field name.",
        ),
    },
    {
        "q": "SELECT Id FROM Case WHERE Foo__c = 'x'",
        "error": ("INVALID_FIELD", "No such column 'Foo__c' on entity 'Case'"),
    },
    {
        "q": "SELECT Account.Nope FROM Case",
        "error": ("INVALID_FIELD", "No such column 'Nope' on entity 'Account'"),
    },
    {
        "q": "SELECT Nope.Name FROM Case",
        "error": ("INVALID_FIELD", "Didn't understand relationship 'Nope'"),
    },
    {
        "q": "SELECT Owner.Industry FROM Case",
        "error": ("INVALID_FIELD", "No such column 'Industry' on entity 'Name'"),
    },
    {
        "q": "SELECT Id FROM Widget",
        "error": ("INVALID_TYPE", "sObject type 'Widget' is not supported"),
    },
    {
        "q": "SELECT Id, (SELECT Id FROM Widgets) FROM Case",
        "error": ("INVALID_TYPE", "Didn't understand relationship 'Widgets'"),
    },
    {
        "q": "SELECT Asset.Name FROM Case",
        "error": ("MALFORMED_QUERY", "which the orgbridge emulator does not store"),
    },
    {
        "q": "SELECT BillingAddress FROM Account",
        "error": ("MALFORMED_QUERY", "compound field"),
    },
    {
        "q": "SELECT Id, Subject, Subject FROM Case",
        "error": ("MALFORMED_QUERY", "duplicate field selected: Subject"),
    },
    # Type mismatches.
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate = 2024-03-09",
        "error": (
            "INVALID_FIELD",
            "value of filter criterion for field 'CreatedDate' "
            "must be of type dateTime and should not be enclosed in quotes",
        ),
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate > '2024-03-09T00:00:00Z'",
        "error": ("INVALID_FIELD", "must be of type dateTime"),
    },
    {
        "q": "SELECT Id FROM Account WHERE LastActivityDate = 2024-03-09T00:00:00Z",
        "error": ("INVALID_FIELD", "must be of type date and"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Subject = 5",
        "error": ("INVALID_FIELD", "must be of type string and should be enclosed"),
    },
    {
        "q": "SELECT Id FROM Case WHERE IsEscalated = 'true'",
        "error": ("INVALID_FIELD", "must be of type boolean"),
    },
    {
        "q": "SELECT Id FROM Account WHERE NumberOfEmployees = '5'",
        "error": ("INVALID_FIELD", "must be of type integer"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Status = TODAY",
        "error": ("INVALID_FIELD", "must be of type string"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Id = 'not-an-id'",
        "error": ("INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: not-an-id"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Description = 'x'",
        "error": ("INVALID_FIELD", "field 'Description' can not be filtered"),
    },
    {
        "q": "SELECT Id FROM Case ORDER BY Description",
        "error": ("INVALID_FIELD", "field 'Description' can not be sorted"),
    },
    {
        "q": "SELECT Id FROM Case WHERE IsEscalated LIKE 'x'",
        "error": ("INVALID_FIELD", "invalid operator"),
    },
    # Aggregates used wrongly.
    {
        "q": "SELECT COUNT(), Id FROM Case",
        "error": ("MALFORMED_QUERY", "COUNT() must be the only element"),
    },
    {
        "q": "SELECT COUNT() FROM Case ORDER BY CreatedDate",
        "error": ("MALFORMED_QUERY", "ORDER BY is not allowed with COUNT()"),
    },
    {
        "q": "SELECT Subject, COUNT(Id) FROM Case",
        "error": ("MALFORMED_QUERY", "Field must be grouped or aggregated: Subject"),
    },
    # Features the emulator does not support.
    {
        "q": "SELECT Status, COUNT(Id) FROM Case GROUP BY Status",
        "error": ("MALFORMED_QUERY", "GROUP BY is not supported by the orgbridge"),
    },
    {
        "q": "SELECT COUNT(Id) FROM Case HAVING COUNT(Id) > 1",
        "error": ("MALFORMED_QUERY", "HAVING is not supported"),
    },
    {
        "q": "SELECT TYPEOF Owner WHEN User THEN Name END FROM Case",
        "error": ("MALFORMED_QUERY", "TYPEOF is not supported"),
    },
    {
        "q": "SELECT Id FROM Case FOR UPDATE",
        "error": ("MALFORMED_QUERY", "FOR UPDATE is not supported"),
    },
    {
        "q": "SELECT Id FROM Case WITH SECURITY_ENFORCED",
        "error": ("MALFORMED_QUERY", "WITH is not supported"),
    },
    {
        "q": "SELECT Id FROM Case USING SCOPE mine",
        "error": ("MALFORMED_QUERY", "USING SCOPE is not supported"),
    },
    {
        "q": "SELECT Id FROM Case WHERE AccountId IN (SELECT Id FROM Account)",
        "error": ("MALFORMED_QUERY", "semi-join"),
    },
    {
        "q": "SELECT Id FROM Case WHERE AccountId NOT IN (SELECT Id FROM Account)",
        "error": ("MALFORMED_QUERY", "semi-join"),
    },
    {
        "q": "SELECT MAX(CreatedDate) FROM Case",
        "error": ("MALFORMED_QUERY", "The function MAX() is not supported"),
    },
    {
        "q": "SELECT COUNT_DISTINCT(Status) FROM Case",
        "error": ("MALFORMED_QUERY", "COUNT_DISTINCT() is not supported"),
    },
    {
        "q": "SELECT FIELDS(ALL) FROM Case LIMIT 200",
        "error": ("MALFORMED_QUERY", "FIELDS() is not supported"),
    },
    {
        "q": "SELECT Id FROM Case WHERE CALENDAR_YEAR(CreatedDate) = 2024",
        "error": ("MALFORMED_QUERY", "CALENDAR_YEAR() is not supported"),
    },
    {
        "q": "SELECT toLabel(Status) FROM Case",
        "error": ("MALFORMED_QUERY", "TOLABEL() is not supported"),
    },
    {
        "q": "FIND {printer} IN ALL FIELDS RETURNING Case",
        "error": ("MALFORMED_QUERY", "SOSL (FIND) is not supported"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Status INCLUDES ('New')",
        "error": ("MALFORMED_QUERY", "INCLUDES is not supported"),
    },
    {
        "q": "SELECT Id FROM Case WHERE CreatedDate IN (TODAY)",
        "error": ("MALFORMED_QUERY", "inside IN is not supported"),
    },
    {
        "q": "SELECT Id FROM Case WHERE Id = :caseId",
        "error": ("MALFORMED_QUERY", "unexpected token: ':'"),
    },
    {
        "q": "SELECT Id, (SELECT Id, (SELECT Id FROM CaseComments) FROM Cases) "
        "FROM Account",
        "error": ("MALFORMED_QUERY", "nested child subqueries"),
    },
]
