"""Strict front matter of a `files` document: the block between a first line `---` and the
next `---` line, in YAML.

Fail closed: a file with no front matter, or whose front matter has no `acl`, gets the
folder default (public); `acl: {public: true}` is public; anything present but not fully
understood raises `FrontMatterError` (the connector reports it and the file is readable by
nobody). Not understood: a YAML error; a duplicate key; an unknown key at the top level or
under `acl`; an empty `acl`; `public` that is not the YAML boolean `true`/`false` (YAML 1.1's
`yes`/`on`/`off` and a quoted "false" are not booleans here); `groups`/`users` that are not
lists of text; anything before the opening `---`; a `---` block carrying `acl` that is not at
the start of the file; front matter that is never closed.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

from connectors import messages
from connectors.base import Acl, group_principal, user_principal

SOURCE = "files"

KNOWN_KEYS = (
    "acl",
    "author",
    "date",
    "description",
    "keywords",
    "owner",
    "summary",
    "tags",
    "title",
    "updated",
)
ACL_KEYS = ("public", "groups", "users")
_FENCE = re.compile(r"^[ \t]*-{3,}[ \t]*$")
_ACCESS_KEYS = ("acl", "public")
_INVISIBLE = " \t\r\n\ufeff\u200b\u200c\u200d\u2060"


class FrontMatterError(ValueError):
    """Front matter that is present but not fully understood; the message says why."""


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans only (`true`/`false`) and no duplicate keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        messages.FRONT_MATTER_DUPLICATE_KEY.format(key=key_node.value),
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def strict_yaml(text: str) -> Any:
    """Parse YAML strictly (see `StrictLoader`); raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass


def yaml_problem(exc: yaml.YAMLError, first_line: int = 1) -> str:
    """'expected ',' or ']' on line 3' (`first_line`: the file's line the YAML starts on)."""
    problem = getattr(exc, "problem", None) or type(exc).__name__
    mark = getattr(exc, "problem_mark", None)
    where = f" on line {mark.line + first_line}" if mark is not None else ""
    return f"{problem}{where}"


def describe(value: object) -> str:
    """How a wrong value is named in a message: 'the text "false"', 'a list', 'nothing'."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f'the text "{value[:40]}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def split_front_matter(raw: str) -> tuple[dict[str, Any] | None, str]:
    """(front matter, body); front matter is None when the file has none."""
    lines = raw.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        _refuse_hidden_start(raw)
        _refuse_hidden_blocks(lines, 0)
        return None, raw
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        raise FrontMatterError(messages.FRONT_MATTER_NOT_CLOSED)
    try:
        data = strict_yaml("".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise FrontMatterError(
            messages.FRONT_MATTER_YAML.format(detail=yaml_problem(exc, first_line=2))
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(messages.FRONT_MATTER_NOT_MAPPING)
    _refuse_hidden_blocks(lines, end + 1)
    return data, "".join(lines[end + 1 :])


def _refuse_hidden_start(raw: str) -> None:
    stripped = raw.lstrip(_INVISIBLE)
    first = stripped.splitlines()[0] if stripped else ""
    if stripped != raw and first.rstrip() == "---":
        skipped = raw[: len(raw) - len(stripped)]
        what = "a byte-order mark" if "\ufeff" in skipped else "blank space or invisible characters"
        raise FrontMatterError(messages.FRONT_MATTER_TEXT_BEFORE.format(what=what))


def _refuse_hidden_blocks(lines: list[str], start: int) -> None:
    """A `---` block that would restrict the file if it were front matter, later on."""
    fences = [i for i in range(start, len(lines)) if _FENCE.match(lines[i].rstrip("\r\n"))]
    for begin, end in itertools.pairwise(fences):
        try:
            data = strict_yaml("".join(lines[begin + 1 : end]))
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        for key in data:
            if str(key).strip().lower() in _ACCESS_KEYS:
                raise FrontMatterError(
                    messages.FRONT_MATTER_HIDDEN_BLOCK.format(key=str(key), line=begin + 1)
                )


def check_keys(meta: dict[str, Any]) -> None:
    for key in meta:
        if not isinstance(key, str) or key not in KNOWN_KEYS:
            raise FrontMatterError(
                messages.FRONT_MATTER_UNKNOWN_KEY.format(key=str(key), known=", ".join(KNOWN_KEYS))
            )


def title_of(meta: dict[str, Any]) -> str | None:
    value = meta.get("title")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FrontMatterError(messages.FRONT_MATTER_TITLE.format(value=describe(value)))
    return str(value)


def acl_from_front_matter(meta: dict[str, Any] | None) -> Acl:
    """The file's readers; raises `FrontMatterError` for anything not fully understood."""
    if meta is None:
        return Acl.everyone()  # no front matter: the folder default
    check_keys(meta)
    if "acl" not in meta:
        return Acl.everyone()  # front matter without acl (e.g. a title only): the default
    value = meta["acl"]
    if value is None or value == {}:
        raise FrontMatterError(messages.ACL_EMPTY)
    if not isinstance(value, dict):
        raise FrontMatterError(messages.ACL_NOT_MAPPING.format(value=describe(value)))
    for key in value:
        if key not in ACL_KEYS:
            raise FrontMatterError(messages.ACL_UNKNOWN_KEY.format(key=str(key)))
    public = value.get("public", False)
    if not isinstance(public, bool):
        raise FrontMatterError(messages.ACL_PUBLIC_NOT_BOOL.format(value=describe(public)))
    groups = _names(value, "groups", "group names")
    users = _names(value, "users", "emails")
    principals = {group_principal(SOURCE, g) for g in groups}
    principals |= {user_principal(u) for u in users}
    return Acl(public=public, principals=frozenset(principals))


def _names(acl: dict[str, Any], key: str, what: str) -> list[str]:
    if key not in acl:
        return []
    value = acl[key]
    if not isinstance(value, list):
        raise FrontMatterError(
            messages.ACL_NOT_A_LIST.format(key=key, what=what, value=describe(value))
        )
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise FrontMatterError(
                messages.ACL_NOT_A_LIST.format(
                    key=key, what=what, value=f"a list holding {describe(item)}"
                )
            )
    return [str(v) for v in value]
