"""OpenAPI polish: every error documented as application/problem+json."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from services.api.problems import PROBLEM_MEDIA_TYPE, problem_responses

# Every /v1 operation can answer these, whatever its own list says.
COMMON_PROBLEMS = (400, 401, 403, 429, 500)


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
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
