"""The Weaviate chunk collection: its schema, the filter translation, the object mapping.

- One explicit collection schema (`collection_spec`), created by the store's first write,
  never by auto-schema: every chunk metadata key is a flat property, text is
  BM25-searchable (`word` tokenization), the other strings use `field` tokenization
  (exact match, so `acl_principals contains_any [...]` cannot match a prefix or a word
  of a principal).
- Object UUIDs are `generate_uuid5(node_id)` (`node_uuid`): re-adding a chunk
  overwrites it. A chunk is stored as flat properties (`node_properties`) and read back
  as the embedded store returns it (`node_from_properties`).
- `weaviate_filter` turns our `MetadataFilters` into a Weaviate filter; its values
  travel as typed gRPC values, never as query text, so quotes in ids need no escaping.
  Unlike `llama_index.vector_stores.weaviate`, it handles IN/NIN/CONTAINS, and empty
  `MetadataFilters` or empty `ANY` lists fold to constants instead of invalid filters.
- A collection created before a metadata key existed (`LATER_KEYS`: `ancestor_ids`)
  lacks its property: `missing_later_keys` names it, the writer adds it, and until then
  `weaviate_filter(..., missing=...)` folds a filter on it to "matches nothing", as
  SQL's NULL would (Weaviate refuses a filter on an unknown property).

Weaviate 1.30 has no `Not` / `ContainsNone` filter operators (1.33+), so negation is
pushed down to the leaves (EQ<->NE, IN<->NIN, GT<->LTE, ...); negating ANY/ALL/CONTAINS
is refused rather than answered wrongly.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Literal

import weaviate
from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)
from weaviate.classes.config import (
    Configure,
    DataType,
    Property,
    Tokenization,
    VectorDistances,
    VectorFilterStrategy,
)
from weaviate.classes.query import Filter, FilterReturn
from weaviate.util import generate_uuid5

from connectors.chunk_metadata import LATER_KEYS, LIST_KEYS, SCALAR_KEYS, ChunkMetadata

DEFAULT_COLLECTION = "HelpdeskChunks"
VECTOR_NAME = "default"
TEXT_KEY = "text"
NODE_ID_KEY = "node_id"  # the LlamaIndex node id; the Weaviate UUID is derived from it

# Where clauses: a Weaviate filter, or a constant (True = no restriction, False = nothing).
Where = FilterReturn | bool


# --------------------------------------------------------------------------- schema
@dataclass(frozen=True)
class CollectionSpec:
    """Everything `client.collections.create` gets for the chunk collection."""

    name: str
    properties: tuple[Property, ...]
    vector_config: Any  # weaviate's private `_VectorConfigCreate`
    description: str

    def property(self, name: str) -> Property:
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(name)

    def create(self, client: weaviate.WeaviateClient) -> None:
        client.collections.create(
            self.name,
            description=self.description,
            properties=list(self.properties),
            vector_config=self.vector_config,
        )


def _field(name: str, data_type: DataType) -> Property:
    """An exact-match (field-tokenized), filterable, not BM25-searchable property."""
    return Property(
        name=name,
        data_type=data_type,
        tokenization=Tokenization.FIELD,
        index_filterable=True,
        index_searchable=False,
    )


def collection_spec(name: str = DEFAULT_COLLECTION) -> CollectionSpec:
    """The explicit schema: chunk text, node id and every chunk metadata key as a column.

    Every metadata key is filterable (as every column is in the embedded store), so the
    same `MetadataFilters` work on both backends.
    """
    properties = (
        Property(
            name=TEXT_KEY,
            data_type=DataType.TEXT,
            tokenization=Tokenization.WORD,
            index_searchable=True,
            index_filterable=False,
        ),
        _field(NODE_ID_KEY, DataType.TEXT),
        *(_field(key, DataType.TEXT) for key in SCALAR_KEYS),
        Property(name="acl_public", data_type=DataType.BOOL, index_filterable=True),
        *(_field(key, DataType.TEXT_ARRAY) for key in LIST_KEYS),
        Property(
            name="chunk_index",
            data_type=DataType.INT,
            index_filterable=True,
            index_range_filters=False,
        ),
    )
    vector_config = Configure.Vectors.self_provided(
        name=VECTOR_NAME,
        vector_index_config=Configure.VectorIndex.hnsw(
            distance_metric=VectorDistances.COSINE,
            # ACL filters are restrictive and unrelated to the query vector: ACORN
            # keeps filtered HNSW search fast where the default sweeping degrades.
            filter_strategy=VectorFilterStrategy.ACORN,
        ),
    )
    return CollectionSpec(
        name=name,
        properties=properties,
        vector_config=vector_config,
        description="Helpdesk bot chunks (text, flat metadata, ACL); vectors are ours.",
    )


def missing_later_keys(spec: CollectionSpec, existing: Sequence[Any]) -> frozenset[str]:
    """The `LATER_KEYS` an existing collection has no property for (it predates them):
    not a problem, the writer adds them (`CollectionSpec.property`)."""
    have = {p.name for p in existing}
    return frozenset(p.name for p in spec.properties if p.name in LATER_KEYS) - have


def schema_problems(spec: CollectionSpec, existing: Sequence[Any]) -> list[str]:
    """How an existing collection's properties differ from `spec` (empty: usable).
    A missing `LATER_KEYS` property is not a problem (`missing_later_keys`).

    Tokenization matters for security, not only for search: a word-tokenized
    `acl_principals` would let `group:files:it` match `group:files:hr` by its words.
    """
    have = {p.name: p for p in existing}
    problems = []
    for want in spec.properties:
        got = have.get(want.name)
        if got is None:
            if want.name not in LATER_KEYS:
                problems.append(f"{want.name}: missing")
        elif got.data_type != want.dataType:
            problems.append(f"{want.name}: {got.data_type.value}, not {want.dataType.value}")
        elif want.tokenization is not None and got.tokenization != want.tokenization:
            actual = getattr(got.tokenization, "value", None)
            problems.append(f"{want.name}: tokenization {actual}, not {want.tokenization.value}")
        elif want.indexFilterable and not got.index_filterable:
            problems.append(f"{want.name}: not filterable")
    return problems


_KINDS: dict[str, Literal["text", "list", "bool", "int"]] = {
    **dict.fromkeys(SCALAR_KEYS, "text"),
    **dict.fromkeys(LIST_KEYS, "list"),
    "acl_public": "bool",
    "chunk_index": "int",
}


def node_uuid(node_id: str) -> str:
    """The Weaviate object UUID of a chunk: stable, so re-adding a node overwrites it."""
    return generate_uuid5(node_id)


# --------------------------------------------------------------------------- filters
_NEGATED = {
    FilterOperator.EQ: FilterOperator.NE,
    FilterOperator.NE: FilterOperator.EQ,
    FilterOperator.GT: FilterOperator.LTE,
    FilterOperator.LTE: FilterOperator.GT,
    FilterOperator.GTE: FilterOperator.LT,
    FilterOperator.LT: FilterOperator.GTE,
    FilterOperator.IN: FilterOperator.NIN,
    FilterOperator.NIN: FilterOperator.IN,
}


def _coerce(kind: str, value: Any) -> str | int | bool:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"not a boolean filter value: {value!r}")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"not an integer filter value: {value!r}")
        return int(value)
    return str(value)


def _values(kind: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of values, got {value!r}")
    return [_coerce(kind, v) for v in value]


def _combine(parts: Sequence[Where], any_of: bool) -> Where:
    """AND / OR with constant folding (Weaviate has no literal true/false filter)."""
    if any_of:
        if any(p is True for p in parts):
            return True
        real = [p for p in parts if not isinstance(p, bool)]
        return Filter.any_of(real) if real else False
    if any(p is False for p in parts):
        return False
    real = [p for p in parts if not isinstance(p, bool)]
    return Filter.all_of(real) if real else True


def _leaf(f: MetadataFilter, negate: bool, missing: AbstractSet[str]) -> Where:
    key, value = f.key, f.value
    kind = _KINDS.get(key)
    if kind is None:
        raise ValueError(f"unknown metadata key {key!r}")
    if key in missing:
        return False  # no such property yet: unknown, which is kept neither way round
    op = FilterOperator(f.operator)
    prop = Filter.by_property(key)
    if kind == "list":
        texts = [str(v) for v in value] if isinstance(value, list) else []
        if negate:
            raise ValueError(
                f"negating {op.value!r} on {key!r} needs Weaviate's Not/ContainsNone (1.33+)"
            )
        if op in (FilterOperator.ANY, FilterOperator.ALL) and not isinstance(value, list):
            raise ValueError(f"{op.value!r} on {key!r} needs a list, got {value!r}")
        if op == FilterOperator.ANY:
            return prop.contains_any(texts) if texts else False
        if op == FilterOperator.ALL:
            return prop.contains_all(texts) if texts else True
        if op == FilterOperator.CONTAINS:
            return prop.contains_any([str(value)])
        raise ValueError(f"filter operator {op.value!r} is not supported on list key {key!r}")
    if negate:
        if op not in _NEGATED:
            raise ValueError(f"filter operator {op.value!r} cannot be negated")
        op = _NEGATED[op]
    if op == FilterOperator.IN:
        values = _values(kind, value)
        if not values:
            return False
        if kind == "text":  # field tokenization: contains_any is an exact match per value
            return prop.contains_any(values)
        return Filter.any_of([prop.equal(v) for v in values])
    if op == FilterOperator.NIN:
        values = _values(kind, value)
        if not values:
            return True
        return Filter.all_of([prop.not_equal(v) for v in values])
    scalar = _coerce(kind, value)
    if op == FilterOperator.EQ:
        return prop.equal(scalar)
    if op == FilterOperator.NE:
        return prop.not_equal(scalar)
    if kind != "bool":
        if op == FilterOperator.GT:
            return prop.greater_than(scalar)
        if op == FilterOperator.GTE:
            return prop.greater_or_equal(scalar)
        if op == FilterOperator.LT:
            return prop.less_than(scalar)
        if op == FilterOperator.LTE:
            return prop.less_or_equal(scalar)
    raise ValueError(f"filter operator {op.value!r} is not supported on key {key!r}")


def _translate(
    f: MetadataFilter | MetadataFilters, negate: bool, missing: AbstractSet[str]
) -> Where:
    if isinstance(f, MetadataFilter):
        return _leaf(f, negate, missing)
    condition = f.condition or FilterCondition.AND
    if condition == FilterCondition.NOT:
        # NOT (a AND b ...), as the embedded store reads it
        condition, negate = FilterCondition.AND, not negate
    any_of = condition == FilterCondition.OR
    if negate:  # De Morgan: push the negation down to the leaves
        any_of = not any_of
    return _combine([_translate(sub, negate, missing) for sub in f.filters], any_of)


def weaviate_filter(
    filters: MetadataFilters | None, missing: AbstractSet[str] = frozenset()
) -> Where:
    """Our `MetadataFilters` as a Weaviate filter.

    `True` means no restriction (no or empty filters), `False` means nothing can match
    (e.g. `ANY []`); callers skip the query then. Raises ValueError on unknown keys and
    operators, as the embedded store does. `missing`: keys the collection has no
    property for yet; a condition on one is never true, negated or not (fail closed).
    """
    if filters is None or not filters.filters:
        return True
    return _translate(filters, negate=False, missing=missing)


# --------------------------------------------------------------------------- nodes
def node_properties(node: BaseNode, position: int = 0) -> dict[str, Any]:
    """The Weaviate properties stored for a chunk (same values as the embedded store)."""
    meta = ChunkMetadata.stored(node, position)
    return {TEXT_KEY: node.get_content(), NODE_ID_KEY: node.node_id, **meta.to_metadata()}


def node_from_properties(
    props: dict[str, Any], uuid: str = "", vector: list[float] | None = None
) -> TextNode:
    """A chunk as the embedded store returns it: flat metadata, SOURCE = doc id."""
    meta = ChunkMetadata.from_row(props)
    node = TextNode(
        id_=str(props.get(NODE_ID_KEY) or uuid),
        text=str(props.get(TEXT_KEY) or ""),
        metadata=meta.to_metadata(),
    )
    if vector is not None:
        node.embedding = [float(v) for v in vector]
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=meta.doc_id)
    return node


def _vector_of(obj: Any) -> list[float] | None:
    vectors = getattr(obj, "vector", None) or {}
    vector = vectors.get(VECTOR_NAME) if isinstance(vectors, dict) else None
    return [float(v) for v in vector] if vector is not None else None
