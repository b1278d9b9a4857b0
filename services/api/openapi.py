"""OpenAPI polish: every error documented as application/problem+json."""

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from services.api import contract, problem_codes, routing
from services.api.problems import PROBLEM_MEDIA_TYPE, problem_responses

# Every /v1 operation can answer these, whatever its own list says.
COMMON_PROBLEMS = (400, 401, 403, 429, 500, 503)


def operation_id(route: APIRoute) -> str:
    return route.name


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


class _Same:
    """A key part equal only to the very same object; holding it, no other object can
    take its id while the cache keeps the entry."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


# Built documents by what they are built from. Tests create an app per test, and building
# one took ~4 s; every app of the same routes and metadata gets the same document.
_BUILT: OrderedDict[tuple[Hashable, ...], bytes] = OrderedDict()
_KEPT = 4  # apps with routes of their own (a test's extra route) each add an entry


def _documented_by(app: FastAPI) -> tuple[Hashable, ...]:
    """What the document depends on: the app's metadata and the very route objects it
    documents. Routers are module-level and included without prefix or options (the codes
    of problem_codes.py are matched by path on that premise too), so their routes are the
    same objects in every app."""
    routes = [r for r in routing.served_routes(app) if getattr(r, "include_in_schema", False)]
    metadata = (app.title, app.version, app.description, app.summary, app.openapi_version)
    described = orjson.dumps([app.openapi_tags, app.servers, app.contact, app.license_info])
    return (*metadata, described, *map(_Same, routes), None, *map(_Same, _webhooks(app)))


def _webhooks(app: FastAPI) -> Iterator[object]:
    for entry in app.webhooks.routes:
        # An included router is one entry of FastAPI's own; its routes are the router's.
        router = getattr(entry, "original_router", None)
        yield from router.routes if router is not None else (entry,)


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        key = _documented_by(app)
        if key not in _BUILT:
            _BUILT[key] = orjson.dumps(_build(app))
            while len(_BUILT) > _KEPT:
                _BUILT.popitem(last=False)
        _BUILT.move_to_end(key)
        # A copy per app: a caller changing its document changes no other app's.
        app.openapi_schema = orjson.loads(_BUILT[key])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _build(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=app.openapi_tags,
    )
    common = problem_responses(*COMMON_PROBLEMS)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if path.startswith("/v1/"):
                for status, entry in common.items():
                    responses.setdefault(str(status), {"description": entry["description"]})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = _problem_content()
    for operations in schema.get("webhooks", {}).values():
        for operation in operations.values():
            # FastAPI documents our validation error (its schema is dropped below) on
            # every operation with a body; a webhook is answered by the receiver.
            operation.get("responses", {}).pop("422", None)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["StandardWebhooks"] = {
        "type": "apiKey",
        "in": "header",
        "name": "webhook-signature",
        "description": "Integrations sign each delivery (Standard Webhooks 1.0): "
        "webhook-id, webhook-timestamp and webhook-signature headers.",
    }
    components = schema["components"].setdefault("schemas", {})
    for section in ("paths", "webhooks"):
        _hoist_definitions(schema.get(section, {}), components)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    # Each error response lists the codes its operation can answer (read from the code).
    problem_codes.document(schema, routing.served_routes(app))
    # Response headers, security of public operations, readable component names.
    contract.complete(schema, routing.served_routes(app))
    # Last: the responses are whole (headers included) before identical ones are shared.
    problem_codes.share_responses(schema)
    return schema


def _hoist_definitions(node: Any, components: dict[str, Any]) -> None:
    """A body schema written by hand (`Model.model_json_schema(ref_template=
    "#/components/schemas/{model}")`) brings the models it refers to as `$defs`: make them
    components, where its references point."""
    if isinstance(node, dict):
        for name, definition in node.pop("$defs", {}).items():
            components.setdefault(name, definition)
        for value in node.values():
            _hoist_definitions(value, components)
    elif isinstance(node, list):
        for value in node:
            _hoist_definitions(value, components)
