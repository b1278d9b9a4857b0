"""OpenAPI polish: every error documented as application/problem+json."""

from typing import Any

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


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
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
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[
            "StandardWebhooks"
        ] = {
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
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


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
