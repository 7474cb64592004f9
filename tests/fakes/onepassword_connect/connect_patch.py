"""Connect's `PATCH /v1/vaults/{vault}/items/{item}`: an RFC 6902 JSON Patch limited to `add`, `remove`
and `replace`, where a field is addressed by its id (`/fields/{fieldId}` and `/fields/{fieldId}/{attr}`),
and `add` to `/fields` appends a field, as the Connect API reference describes.
"""

from __future__ import annotations

from connect_store import FIELD_ATTRIBUTES, ITEM_ATTRIBUTES, ConnectError

_OPS = ("add", "remove", "replace")


def _segments(path: object) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConnectError(400, f"Invalid patch path: {path!r}")
    if path == "/":
        return []
    return [s.replace("~1", "/").replace("~0", "~") for s in path[1:].split("/")]


def apply_patch(item: dict, ops: list) -> None:
    """Applies every operation to `item` in place; the caller validates the result."""
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in _OPS:
            raise ConnectError(400, "Invalid patch: each operation needs op add, remove or replace")
        kind, path = op["op"], _segments(op.get("path"))
        if kind != "remove" and "value" not in op:
            raise ConnectError(400, f"Invalid patch: {kind} of {op.get('path')} needs a value")
        value = op.get("value")
        if not path:
            _whole(item, kind, value)
        elif path[0] == "fields":
            _fields(item, kind, path[1:], value)
        elif path[0] == "tags" and len(path) == 2:
            _tag(item, kind, path[1], value)
        elif path[0] in ITEM_ATTRIBUTES and len(path) == 1:
            _attribute(item, kind, path[0], value)
        else:
            raise ConnectError(400, f"Invalid patch path: {op.get('path')}")


def _whole(item: dict, kind: str, value: object) -> None:
    if kind == "remove" or not isinstance(value, dict):
        raise ConnectError(400, "Invalid patch: the item root can only be replaced by an object")
    for key in ITEM_ATTRIBUTES:
        if key in value:
            item[key] = value[key]


def _attribute(item: dict, kind: str, name: str, value: object) -> None:
    if kind == "remove":
        item[name] = [] if name in ("tags", "urls", "sections", "fields") else ("" if name == "title" else None)
    elif name == "tags" and kind == "add" and isinstance(value, str):
        item["tags"] = list(item.get("tags") or []) + [value]
    else:
        item[name] = value


def _tag(item: dict, kind: str, index: str, value: object) -> None:
    tags = list(item.get("tags") or [])
    if index == "-" and kind == "add":
        tags.append(value)
    else:
        try:
            position = int(index)
        except ValueError:
            raise ConnectError(400, f"Invalid patch path: /tags/{index}") from None
        if not 0 <= position < len(tags) + (1 if kind == "add" else 0):
            raise ConnectError(400, f"Invalid patch path: /tags/{index} is out of range")
        if kind == "add":
            tags.insert(position, value)
        elif kind == "replace":
            tags[position] = value
        else:
            del tags[position]
    item["tags"] = tags


def _fields(item: dict, kind: str, rest: list[str], value: object) -> None:
    fields: list[dict] = item.setdefault("fields", [])
    if not rest:
        if kind == "add" and isinstance(value, dict):
            fields.append(value)
        elif kind == "remove":
            item["fields"] = []
        elif isinstance(value, list):
            item["fields"] = value
        else:
            raise ConnectError(400, "Invalid patch: /fields takes a field object (add) or an array")
        return
    index = next((i for i, f in enumerate(fields) if f.get("id") == rest[0]), None)
    if len(rest) == 1:
        if kind == "remove":
            if index is None:
                raise ConnectError(400, f"The item doesn't have a {rest[0]} field.")
            del fields[index]
        elif not isinstance(value, dict):
            raise ConnectError(400, "Invalid patch: a field is replaced by a field object")
        elif index is None:
            if kind == "replace":
                raise ConnectError(400, f"The item doesn't have a {rest[0]} field.")
            fields.append(dict(value, id=rest[0]))
        else:
            fields[index] = dict(value, id=rest[0])
        return
    if len(rest) != 2 or rest[1] not in FIELD_ATTRIBUTES:
        raise ConnectError(400, f"Invalid patch path: /fields/{'/'.join(rest)}")
    if index is None:
        raise ConnectError(400, f"The item doesn't have a {rest[0]} field.")
    if kind == "remove":
        fields[index].pop(rest[1], None)
    else:
        fields[index][rest[1]] = value
