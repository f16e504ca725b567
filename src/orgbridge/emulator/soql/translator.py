"""Turn a parsed query into the SQL statements the engine runs.

A record query becomes a plan with three parts. The filtered, ordered SELECT of
Ids fills a query locator's snapshot. The page SELECT joins a slice of that
snapshot to the current rows. Each child subquery has one SELECT of the children
of every parent on the page. COUNT() and COUNT(field) queries become one
aggregate SELECT.
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from orgbridge.emulator.schema import OrgSchema, SObjectSchema
from orgbridge.emulator.soql.ast import (
    CountAll,
    CountField,
    FieldPath,
    OrderItem,
    Query,
    Subquery,
)
from orgbridge.emulator.soql.errors import (
    INVALID_FIELD,
    INVALID_TYPE,
    MALFORMED_QUERY,
    SoqlError,
    positioned_message,
)
from orgbridge.emulator.soql.filters import FilterTranslator
from orgbridge.emulator.soql.records import RecordShape
from orgbridge.emulator.soql.resolver import TEXT_COLLATION, Resolver


@dataclass(frozen=True)
class ChildPlan:
    """A child subquery: its SQL (bound to a page of parent Ids) and row shape."""

    relationship_name: str
    sql: str
    params_before: list[object]
    params_after: list[object]
    shape: RecordShape


@dataclass(frozen=True)
class RecordPlan:
    """The statements of a record query.

    ``ids_sql`` selects the Ids in result order after OFFSET and LIMIT, for the
    snapshot. ``page_sql`` selects a page's rows given its (first row, end row)
    in the snapshot table. Each child's SQL takes the same two values between its
    ``params_before`` and ``params_after``.
    """

    sobject: str
    ids_sql: str
    ids_params: list[object]
    page_sql: str
    shape: RecordShape
    children: list[ChildPlan]


@dataclass(frozen=True)
class CountPlan:
    """A ``SELECT COUNT() ...`` query: the count is the totalSize."""

    sql: str
    params: list[object]


@dataclass(frozen=True)
class AggregatePlan:
    """A ``SELECT COUNT(field) alias, ...`` query: one AggregateResult row."""

    sql: str
    params: list[object]
    aliases: list[str]


Plan = RecordPlan | CountPlan | AggregatePlan

_PAGE_ROWS = (
    'FROM _query_locator_rows AS page JOIN {table} AS t ON t."Id" = page.record_id'
)


@dataclass
class Translator:
    """Translate one parsed query for one org, clock reading and time zone."""

    soql: str
    schema: OrgSchema
    now: datetime
    zone: ZoneInfo
    include_deleted: bool
    _children: list[ChildPlan] = field(default_factory=list)

    def plan(self, query: Query) -> Plan:
        """Build the plan of a top-level query."""
        sobject = self._sobject(query.sobject, query.sobject_position)
        counts = [i for i in query.select if isinstance(i, CountAll)]
        aggregates = [i for i in query.select if isinstance(i, CountField)]

        if counts:
            return self._count_plan(query, sobject)
        if aggregates:
            return self._aggregate_plan(query, sobject, aggregates)
        return self._record_plan(query, sobject)

    def _sobject(self, name: str, position: int) -> SObjectSchema:
        sobject = self.schema.sobject(name)
        if sobject is None:
            raise SoqlError(
                INVALID_TYPE,
                positioned_message(
                    self.soql,
                    position,
                    f"sObject type '{name}' is not supported. If you are attempting "
                    "to use a custom object, be sure to append the '__c' after the "
                    "entity name. Please reference your WSDL or the describe call "
                    "for the appropriate names.",
                ),
            )
        return sobject

    def _where(
        self, query: Query, resolver: Resolver, sobject: SObjectSchema
    ) -> tuple[str, list[object]]:
        """Build the WHERE clause, adding the IsDeleted filter of /query."""
        filters = FilterTranslator(self.soql, resolver, self.now, self.zone)
        tests = []
        if not self.include_deleted and sobject.field("IsDeleted") is not None:
            tests.append(f'IFNULL({resolver.root_alias}."IsDeleted", 0) = 0')
        if query.where is not None:
            tests.append(filters.translate(query.where))
        clause = f" WHERE {' AND '.join(tests)}" if tests else ""
        return clause, filters.params

    def _from(self, sobject: SObjectSchema, resolver: Resolver) -> str:
        return " ".join([f"FROM {sobject.table} AS {resolver.root_alias}",
                         *resolver.joins])  # fmt: skip

    # COUNT() and COUNT(field).

    def _count_plan(self, query: Query, sobject: SObjectSchema) -> CountPlan:
        if len(query.select) > 1:
            raise self._malformed(
                query.select[1], "COUNT() must be the only element in the SELECT list"
            )
        if query.order_by:
            raise self._malformed(
                query.order_by[0].field, "ORDER BY is not allowed with COUNT()"
            )
        resolver = Resolver(self.soql, self.schema, sobject, "t", query.alias)
        where, params = self._where(query, resolver, sobject)
        limit, limit_params = _limit_clause(query)
        sql = (
            f"SELECT COUNT(*) FROM (SELECT 1 {self._from(sobject, resolver)}{where}"
            f"{limit})"
        )
        return CountPlan(sql, params + limit_params)

    def _aggregate_plan(
        self, query: Query, sobject: SObjectSchema, aggregates: list[CountField]
    ) -> AggregatePlan:
        for item in query.select:
            if isinstance(item, FieldPath):
                raise self._malformed(
                    item, f"Field must be grouped or aggregated: {item.text}"
                )
            if isinstance(item, Subquery):
                raise self._malformed(
                    item, "A child subquery cannot be combined with COUNT(field)"
                )
        if query.order_by:
            raise self._malformed(
                query.order_by[0].field,
                "ORDER BY in an aggregate query without GROUP BY is not supported "
                "by the orgbridge emulator",
            )

        resolver = Resolver(self.soql, self.schema, sobject, "t", query.alias)
        columns = []
        aliases = []
        for index, aggregate in enumerate(aggregates):
            resolved = resolver.resolve(aggregate.field)
            columns.append(f"COUNT({resolved.sql})")
            aliases.append(aggregate.alias or f"expr{index}")
        if len({a.lower() for a in aliases}) < len(aliases):
            raise self._malformed(aggregates[0], "duplicate alias in the SELECT list")

        where, params = self._where(query, resolver, sobject)
        sql = f"SELECT {', '.join(columns)} {self._from(sobject, resolver)}{where}"
        return AggregatePlan(sql, params, aliases)

    # Record queries.

    def _record_plan(self, query: Query, sobject: SObjectSchema) -> RecordPlan:
        resolver = Resolver(self.soql, self.schema, sobject, "t", query.alias)
        shape = self._shape(query, sobject, resolver)
        where, params = self._where(query, resolver, sobject)
        order = self._order(query.order_by, resolver)
        limit, limit_params = _limit_clause(query)

        ids_sql = (
            f'SELECT t."Id" {self._from(sobject, resolver)}{where} '
            f"ORDER BY {order}{limit}"
        )
        page_sql = (
            f"SELECT {', '.join(shape.columns)} "
            + _PAGE_ROWS.format(table=sobject.table)
            + "".join(f" {join}" for join in resolver.joins)
            + " WHERE page.row >= ? AND page.row < ? ORDER BY page.row"
        )
        return RecordPlan(
            sobject.name,
            ids_sql,
            [*params, *limit_params],
            page_sql,
            shape,
            self._children,
        )

    def _shape(
        self, query: Query, sobject: SObjectSchema, resolver: Resolver
    ) -> RecordShape:
        shape = RecordShape(sobject.name, [f'{resolver.root_alias}."Id"'])
        seen: set[str] = set()
        for item in query.select:
            if isinstance(item, Subquery):
                child = self._child_plan(item, sobject)
                shape.add_child(child.relationship_name)
                self._children.append(child)
                continue
            if not isinstance(item, FieldPath):
                continue
            resolved = resolver.resolve(item)
            key = ".".join(h.name for h in resolved.hops) + "." + resolved.name
            if key.lower() in seen:
                raise self._malformed(item, f"duplicate field selected: {item.text}")
            seen.add(key.lower())
            shape.add_field(resolved)
        return shape

    def _order(self, items: tuple[OrderItem, ...], resolver: Resolver) -> str:
        """Build ORDER BY keys, ending with rowid so that ties keep one order.

        SOQL puts NULLs first in ascending and last in descending order, which is
        SQLite's default, so NULLS FIRST/LAST is written only when it differs.
        """
        keys = []
        for item in items:
            resolved = resolver.resolve(item.field)
            if not resolved.field.describe.get("sortable", True):
                raise SoqlError(
                    INVALID_FIELD,
                    positioned_message(
                        self.soql,
                        item.field.position,
                        f"field '{resolved.name}' can not be sorted in a query call",
                    ),
                )
            key = resolved.sql + (TEXT_COLLATION if resolved.is_text else "")
            key += " DESC" if item.descending else ""
            if item.nulls_first is not None and item.nulls_first == item.descending:
                key += " NULLS FIRST" if item.nulls_first else " NULLS LAST"
            keys.append(key)
        last_descending = bool(items) and items[-1].descending
        keys.append(
            f"{resolver.root_alias}.rowid" + (" DESC" if last_descending else "")
        )
        return ", ".join(keys)

    def _child_plan(self, item: Subquery, parent: SObjectSchema) -> ChildPlan:
        query = item.query
        relationship = parent.child_relationship(query.sobject)
        if relationship is None:
            raise SoqlError(
                INVALID_TYPE,
                positioned_message(
                    self.soql,
                    query.sobject_position,
                    f"Didn't understand relationship '{query.sobject}' in FROM part "
                    "of query call. If you are attempting to use a custom "
                    "relationship, be sure to append the '__r' after the custom "
                    "relationship name. Please reference your WSDL or the describe "
                    "call for the appropriate names.",
                ),
            )
        child = self._sobject(relationship.child_sobject, query.sobject_position)
        for select_item in query.select:
            if not isinstance(select_item, FieldPath):
                raise self._malformed(
                    select_item,
                    "Only fields can be selected in a child subquery by the "
                    "orgbridge emulator",
                )

        resolver = Resolver(self.soql, self.schema, child, "c", query.alias)
        shape = RecordShape(child.name, ['c."Id"'])
        for select_item in query.select:
            if isinstance(select_item, FieldPath):
                shape.add_field(resolver.resolve(select_item))
        where, params = self._where(query, resolver, child)
        order = self._order(query.order_by, resolver)
        foreign_key = f'c."{relationship.field}"'
        parent_filter = (
            f"{foreign_key} IN (SELECT record_id FROM _query_locator_rows "
            "WHERE row >= ? AND row < ?)"
        )
        where = f"{where} AND {parent_filter}" if where else f" WHERE {parent_filter}"
        window = f"row_number() OVER (PARTITION BY {foreign_key} ORDER BY {order})"
        bounds, bound_params = _window_bounds(query)
        sql = (
            f"SELECT * FROM (SELECT {', '.join(shape.columns)}, {foreign_key}, "
            f"{window} AS child_rank {self._from(child, resolver)}{where}) "
            f"WHERE 1 = 1{bounds} ORDER BY child_rank"
        )
        return ChildPlan(
            relationship.relationship_name, sql, params, bound_params, shape
        )

    def _malformed(
        self, item: FieldPath | CountAll | CountField | Subquery, text: str
    ) -> SoqlError:
        return SoqlError(
            MALFORMED_QUERY, positioned_message(self.soql, item.position, text)
        )


def _limit_clause(query: Query) -> tuple[str, list[object]]:
    if query.limit is None and query.offset is None:
        return "", []
    limit = -1 if query.limit is None else query.limit
    return " LIMIT ? OFFSET ?", [limit, query.offset or 0]


def _window_bounds(query: Query) -> tuple[str, list[object]]:
    clauses = []
    params: list[object] = []
    if query.offset:
        clauses.append(" AND child_rank > ?")
        params.append(query.offset)
    if query.limit is not None:
        clauses.append(" AND child_rank <= ?")
        params.append(query.limit + (query.offset or 0))
    return "".join(clauses), params
