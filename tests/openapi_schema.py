"""Checking JSON against the OpenAPI document's own schemas (JSON Schema 2020-12, as
OpenAPI 3.1 writes them), with formats checked as Redocly checks them."""

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = "urn:campaignops:openapi"
PROBLEM = "application/problem+json"


def pointer(*parts: str) -> str:
    """A JSON Pointer into the document (`paths`, `/v1/rules`, `post`...)."""
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def component(name: str) -> str:
    return pointer("components", "schemas", name)


def response_object(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """An operation's response, followed to `components/responses` when it refers there."""
    if "$ref" not in response:
        return response
    shared: dict[str, Any] = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return shared


class Schemas:
    """Validators for any schema of the document, by its pointer."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DOCUMENT, resource)

    def errors(self, where: str, instance: Any) -> list[str]:
        validator = Draft202012Validator(
            {"$ref": DOCUMENT + where},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:300]}"
            for e in validator.iter_errors(instance)
        ]

    def response(self, method: str, path: str, status: int, media: str | None = None) -> str:
        """The pointer of an operation's response schema."""
        response = self.spec["paths"][path][method]["responses"][str(status)]
        content = response_object(self.spec, response)["content"]
        media = media or ("application/json" if "application/json" in content else PROBLEM)
        if "$ref" in response:
            return f"{response['$ref']}/content/{pointer(media)[2:]}/schema"
        return pointer("paths", path, method, "responses", str(status), "content", media, "schema")

    def body(self, method: str, path: str, media: str = "application/json") -> str:
        return pointer("paths", path, method, "requestBody", "content", media, "schema")

    def resolve(self, where: str) -> Any:
        node: Any = self.spec
        for part in where[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def documented_codes(self, method: str, path: str, status: int) -> list[str]:
        """The problem codes an operation documents for a status."""
        schema = self.resolve(self.response(method, path, status, PROBLEM))
        while "$ref" in schema:
            schema = self.resolve(schema["$ref"])
        narrowing = next(part for part in schema["allOf"] if "properties" in part)
        codes: list[str] = narrowing["properties"]["code"]["enum"]
        return codes


_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs")
_SUBSCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


def examples(spec: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where the example is, the pointer of its schema, the example) for every example of
    the document: schemas' `examples`, and media types' `example` and `examples`."""

    def in_schema(node: Any, where: tuple[str, ...]) -> Iterator[tuple[str, str, Any]]:
        if not isinstance(node, dict):
            return
        for i, value in enumerate(node.get("examples") or []):
            yield pointer(*where, "examples", str(i)), pointer(*where), value
        for key in _SUBSCHEMA_LISTS:
            for i, child in enumerate(node.get(key) or []):
                yield from in_schema(child, (*where, key, str(i)))
        for key in _SUBSCHEMA_MAPS:
            for name, child in (node.get(key) or {}).items():
                yield from in_schema(child, (*where, key, name))
        for key in _SUBSCHEMA:
            if isinstance(node.get(key), dict):
                yield from in_schema(node[key], (*where, key))

    def walk(node: Any, where: tuple[str, ...]) -> Iterator[tuple[str, str, Any]]:
        if isinstance(node, dict):
            if "schema" in node and isinstance(node["schema"], dict):
                yield from in_schema(node["schema"], (*where, "schema"))
                schema = pointer(*where, "schema")
                if "example" in node:
                    yield pointer(*where, "example"), schema, node["example"]
                for name, example in (node.get("examples") or {}).items():
                    if isinstance(example, dict) and "value" in example:
                        yield pointer(*where, "examples", name), schema, example["value"]
            for key, value in node.items():
                if key not in ("schema", "example", "examples"):
                    yield from walk(value, (*where, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, (*where, str(i)))

    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        yield from in_schema(schema, ("components", "schemas", name))
    for section in ("paths", "webhooks"):
        yield from walk(spec.get(section, {}), (section,))
