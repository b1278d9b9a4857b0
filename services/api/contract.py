"""What the OpenAPI document says beyond the routes' own declarations, derived from them.

Applied by services/api/openapi.py to the generated document, never by hand per route:

- response headers where they are sent: `X-Request-ID` on every response, `ETag` on a
  success whose body is a versioned resource, `Location` on a 201 whose body can be read
  back at an address, `Idempotent-Replayed` on the successes of operations that take an
  `Idempotency-Key`, `Retry-After` on 429 and 503;
- `security: []` on operations that need no API key (the probes, the webhooks we send),
  so nothing looks unprotected by mistake;
- the nulls of the examples back: FastAPI writes the document with `exclude_none`, which
  drops every `null` of an example too (`"revoked_at": null`), leaving examples their own
  schemas refuse (a property that is required, and null in every new resource, is missing);
- a readable name for components FastAPI had to qualify with their module
  (`shared__reports__schedule__Language` -> `ReportsLanguage`): generated clients name
  their types after these;
- what pydantic writes that JSON Schema does not mean: a bound left beside an `anyOf`
  (`gt` on a Decimal) moves onto the number branch; `format: time` (which needs an offset)
  becomes the `HH:MM[:SS]` pattern our times of day follow.
"""

import json
import re
from collections.abc import Iterable
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from services.api.deps import idempotency_key

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id (yours when you sent a valid one); quote it when "
        "reporting a problem. Every response carries it.",
        "schema": {"type": "string", "maxLength": 128, "examples": ["0193c5f1a2b34c8d9e0f"]},
    },
    "ETag": {
        "description": 'The resource\'s version as a strong tag (`"3"`): send it back in '
        "`If-Match` with PATCH or DELETE to refuse a stale edit (412).",
        "schema": {"type": "string", "examples": ['"3"']},
    },
    "Location": {
        "description": "Where the created resource is read back.",
        "schema": {
            "type": "string",
            "examples": ["/v1/members/01a2010c-c015-761b-9bc5-6ac427b850dc"],
        },
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request with "
        "the same `Idempotency-Key` and body; absent on a first response.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0, "examples": [30]},
    },
}

# FastAPI names a model after its module when two models share a name.
_QUALIFIED = re.compile(r"^(?:[A-Za-z0-9_]+__)+(?P<name>[A-Za-z0-9_]+)$")
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def dump(schema: dict[str, Any]) -> str:
    """The document as `campaignops openapi` writes it (the clients are generated from it)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def complete(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    """Add what the routes imply to `schema`, the document FastAPI generated, in place."""
    _rename_qualified_components(schema)
    _place_stray_bounds(schema)
    _restore_example_nulls(schema)
    _describe_local_times(schema)
    # Relative: the API's own origin, wherever it is deployed.
    schema.setdefault("servers", [{"url": "/", "description": "This API"}])
    components = schema.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    idempotent = {
        (route.path_format, method.lower())
        for route in routes
        if isinstance(route, APIRoute) and _depends_on(route.dependant, idempotency_key)
        for method in route.methods or ()
    }
    readable = _readable_schemas(schema)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            operation.setdefault("security", [])
            for status, response in operation.get("responses", {}).items():
                names = _headers_for(
                    status,
                    response,
                    components,
                    idempotent=(path, method) in idempotent,
                    readable=readable,
                )
                if names:
                    headers = response.setdefault("headers", {})
                    for name in names:
                        headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
    for operations in schema.get("webhooks", {}).values():
        for operation in operations.values():
            # What we send: the receiver checks each format's own signature (described there).
            operation.setdefault("security", [])


def _headers_for(
    status: str,
    response: dict[str, Any],
    components: dict[str, Any],
    *,
    idempotent: bool,
    readable: set[str],
) -> list[str]:
    names = ["X-Request-ID"]
    body = _json_schema(response)
    if status in {"429", "503"}:
        names.append("Retry-After")
    if status.startswith("2"):
        target = _component_name(body)
        if target is not None and "version" in _properties(components, target):
            names.append("ETag")
        if status == "201" and target in readable:
            names.append("Location")
        if idempotent:
            names.append("Idempotent-Replayed")
    return names


def _json_schema(response: dict[str, Any]) -> dict[str, Any] | None:
    media = response.get("content", {}).get("application/json")
    return media.get("schema") if media else None


def _component_name(schema: dict[str, Any] | None) -> str | None:
    if schema is None or "$ref" not in schema:
        return None
    ref: str = schema["$ref"]
    return ref.rsplit("/", 1)[1]


def _properties(components: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = components.get("schemas", {}).get(name, {}).get("properties", {})
    return properties


def _readable_schemas(schema: dict[str, Any]) -> set[str]:
    """Components some GET of a single resource (a path ending in a parameter) returns."""
    found = set()
    for path, operations in schema.get("paths", {}).items():
        get = operations.get("get")
        if get is None or not path.endswith("}"):
            continue
        name = _component_name(_json_schema(get.get("responses", {}).get("200", {})))
        if name is not None:
            found.add(name)
    return found


def _depends_on(dependant: Dependant, call: Any) -> bool:
    return any(sub.call is call or _depends_on(sub, call) for sub in dependant.dependencies)


def _restore_example_nulls(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            examples = node.get("examples")
            if isinstance(examples, list) and _is_schema(node):
                for example in examples:
                    _fill_nulls(example, node, components)
            media_schema = node.get("schema")
            if "example" in node and isinstance(media_schema, dict):  # a media type
                _fill_nulls(node["example"], media_schema, components)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)


def _is_schema(node: dict[str, Any]) -> bool:
    return any(key in node for key in ("type", "properties", "$ref", "anyOf", "oneOf", "allOf"))


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 50:
        target = components.get(schema["$ref"].rsplit("/", 1)[1])
        if target is None:
            return schema
        schema, seen = target, seen + 1
    return schema


def _admits_null(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    schema = _resolve(schema, components)
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(
        _admits_null(branch, components)
        for branch in schema.get("anyOf", []) + schema.get("oneOf", [])
    )


def _branch_for(
    value: dict[str, Any], schema: dict[str, Any], components: dict[str, Any]
) -> dict[str, Any] | None:
    """The object branch of a union that `value` is an instance of."""
    branches = [_resolve(b, components) for b in schema.get("anyOf", []) + schema.get("oneOf", [])]
    discriminator = schema.get("discriminator", {})
    if discriminator and discriminator.get("propertyName") in value:
        ref = discriminator.get("mapping", {}).get(value[discriminator["propertyName"]])
        if ref is not None:
            return _resolve({"$ref": ref}, components)
    for branch in branches:
        properties = branch.get("properties")
        if properties is not None and set(value) <= set(properties):
            constant = {k: p.get("const") for k, p in properties.items() if "const" in p}
            if all(value.get(k, c) == c for k, c in constant.items()):
                return branch
    return None


def _fill_nulls(value: Any, schema: dict[str, Any], components: dict[str, Any]) -> None:
    """Put back `null` for each required property an example lacks that may be null."""
    schema = _resolve(schema, components)
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in value:
                _fill_nulls(item, items, components)
        return
    if not isinstance(value, dict):
        return
    for part in schema.get("allOf", []):
        _fill_nulls(value, part, components)
    if "anyOf" in schema or "oneOf" in schema:
        branch = _branch_for(value, schema, components)
        if branch is not None:
            _fill_nulls(value, branch, components)
        return
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value and name in properties and _admits_null(properties[name], components):
            value[name] = None
    for name, item in value.items():
        if name in properties:
            _fill_nulls(item, properties[name], components)
        elif isinstance(schema.get("additionalProperties"), dict):
            _fill_nulls(item, schema["additionalProperties"], components)


# A time of day as the API reads and writes it: `18:30` or `18:30:00`, no offset (a
# campaign's times are in its own timezone).
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def _describe_local_times(node: Any) -> None:
    """Pydantic marks a `time` with JSON Schema's `format: time`, which is RFC 3339's
    full-time and needs an offset (`18:30:00+08:00`); ours has none: say so with a pattern."""
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            del node["format"]
            node.setdefault("pattern", LOCAL_TIME_PATTERN)
        for value in node.values():
            _describe_local_times(value)
    elif isinstance(node, list):
        for value in node:
            _describe_local_times(value)


_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def _place_stray_bounds(node: Any) -> None:
    """Pydantic leaves `gt`/`ge`/`lt`/`le` (not JSON Schema) beside an `anyOf` when a bound
    is put on a union such as Decimal's number-or-string: move it onto the number branches."""
    if isinstance(node, dict):
        stray = {key: node.pop(key) for key in list(node) if key in _BOUNDS and "anyOf" in node}
        for key, bound in stray.items():
            for branch in node["anyOf"]:
                if branch.get("type") in {"number", "integer"}:
                    _bound(branch, key, bound)
        for value in node.values():
            _place_stray_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _place_stray_bounds(value)


def _bound(branch: dict[str, Any], key: str, bound: float) -> None:
    """Add the bound, keeping one keyword per side (the tighter one)."""
    lower = key in {"gt", "ge"}
    inclusive, exclusive = (
        ("minimum", "exclusiveMinimum") if lower else ("maximum", "exclusiveMaximum")
    )
    tighter = max if lower else min
    if key in {"gt", "lt"}:
        other = branch.pop(inclusive, None)
        if other is not None and tighter(other, bound) != bound:  # the inclusive one is tighter
            branch[inclusive] = other
            return
        branch[exclusive] = bound
    else:
        current = branch.get(inclusive)
        branch[inclusive] = bound if current is None else tighter(current, bound)


def _rename_qualified_components(schema: dict[str, Any]) -> None:
    schemas: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for key in list(schemas):
        match = _QUALIFIED.match(key)
        if match is None:
            continue
        parts = key.split("__")
        # shared__<domain>__<module>__<Name>: the domain tells the two apart.
        owner = parts[1] if parts[0] == "shared" and len(parts) > 2 else parts[-2]
        name = "".join(word.capitalize() for word in owner.split("_")) + match["name"]
        if name in schemas or name in renames.values():
            continue
        renames[key] = name
    if not renames:
        return
    for old, new in renames.items():
        component = schemas.pop(old)
        component["title"] = new
        schemas[new] = component
    refs = {
        f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renames.items()
    }
    _replace_refs(schema, refs)


def _replace_refs(node: Any, refs: dict[str, str]) -> None:
    """Every reference: `$ref`s and a discriminator's `mapping` values alike."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                node[key] = refs.get(value, value)
            else:
                _replace_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, refs)
