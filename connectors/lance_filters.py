"""Our `MetadataFilters` as the embedded store's SQL (Lance/DataFusion dialect).

Every metadata key is a flat column, so a filter is a plain SQL predicate: the
permission scope is `array_has_any(acl_principals, [...])`, a help channel's sources
`source IN (...)` / `array_has_any(ancestor_ids, [...])`.

A table written before a key existed (`LATER_KEYS`) has no column for it. A filter on
such a key compiles to SQL's `NULL`: "unknown", which a WHERE clause never keeps, and
which stays unknown under NOT, so the filter can only match fewer rows (fail closed) —
exactly as a NULL value in the column would behave.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from connectors.chunk_metadata import LIST_KEYS, SCALAR_KEYS

FILTER_KEYS = (*LIST_KEYS, *SCALAR_KEYS, "acl_public", "chunk_index")


def sql_str(value: str) -> str:
    """A SQL string literal for Lance/DataFusion: single quotes, doubled inside."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


def principals_sql(principals: Sequence[str]) -> str:
    """The `acl_principals` value as SQL. An empty list is typed explicitly: LanceDB
    cannot infer the type of a bare `[]` ("concat requires input of at least one
    array"), and "readable by nobody" is exactly the update that must never fail."""
    if not principals:
        return "arrow_cast(make_array(), 'List(Utf8)')"
    return sql_list(sorted(str(p) for p in principals))


def _leaf_sql(f: MetadataFilter, missing: Collection[str]) -> str:
    key, op, value = f.key, f.operator, f.value
    if key not in FILTER_KEYS:
        raise ValueError(f"unknown metadata key {key!r}")
    if key in missing:
        return "NULL"  # the table has no such column: unknown, never kept
    if op == FilterOperator.ANY:
        assert isinstance(value, list)
        if not value:
            return "false"
        return f"array_has_any({key}, {sql_list([str(v) for v in value])})"
    if op == FilterOperator.CONTAINS:
        return f"array_has({key}, {sql_str(str(value))})"
    if op in (FilterOperator.IN, FilterOperator.NIN):
        assert isinstance(value, list)
        if not value:
            return "false" if op == FilterOperator.IN else "true"
        neg = "NOT " if op == FilterOperator.NIN else ""
        return f"{key} {neg}IN ({', '.join(sql_str(str(v)) for v in value)})"
    symbol = {
        FilterOperator.EQ: "=",
        FilterOperator.NE: "!=",
        FilterOperator.GT: ">",
        FilterOperator.GTE: ">=",
        FilterOperator.LT: "<",
        FilterOperator.LTE: "<=",
    }.get(op)
    if symbol is None:
        raise ValueError(f"filter operator {op} is not supported by the embedded index")
    if isinstance(value, bool):
        literal = "true" if value else "false"
    elif isinstance(value, int | float):
        literal = repr(value)
    else:
        literal = sql_str(str(value))
    return f"{key} {symbol} {literal}"


def _filter_sql(f: MetadataFilter | MetadataFilters, missing: Collection[str]) -> str:
    if isinstance(f, MetadataFilter):
        return _leaf_sql(f, missing)
    parts = [_filter_sql(sub, missing) for sub in f.filters]
    if not parts:
        return "true"
    joiner = " OR " if f.condition == FilterCondition.OR else " AND "
    sql = "(" + joiner.join(parts) + ")"
    return f"NOT {sql}" if f.condition == FilterCondition.NOT else sql


def filters_to_sql(filters: MetadataFilters | None, missing: Collection[str] = ()) -> str | None:
    """The WHERE clause of `filters` (None: no restriction). `missing`: keys the table
    has no column for (they read as NULL)."""
    return None if filters is None or not filters.filters else _filter_sql(filters, missing)
