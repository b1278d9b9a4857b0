"""What a browser frontend meets beyond the schema: methods, CORS, how booleans are read."""

import re
import types
import typing
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi.routing import APIRoute
from pydantic import BaseModel, Strict
from pydantic.fields import FieldInfo
from starlette.routing import Route

from services.api.app import create_app
from tests.helpers import Tenant, assert_problem, fields_of

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
PARAMETER = re.compile(r"{[^}]*}")
ORIGIN = "https://plan.example.com"


def routes_of(app: Any) -> list[Route]:
    """Every route the app serves, its own and those of the routers it includes."""
    candidates = [*app.router.routes, *(r for router in app.state.routers for r in router.routes)]
    return [route for route in candidates if isinstance(route, Route)]


def served_methods(app: Any) -> dict[str, set[str]]:
    served: dict[str, set[str]] = defaultdict(set)
    for route in routes_of(app):
        served[route.path] |= route.methods or set()
    return served


def a_path(template: str) -> str:
    return PARAMETER.sub(lambda _: str(uuid.uuid4()), template)


async def test_every_path_answers_405_with_allow_for_the_methods_it_does_not_serve(
    app, client, tenant: Tenant
):
    """`/v1/rules/templates` is not `/v1/rules/{rule_id}`: PATCH there is 405, not 422."""
    wrong = []
    for template, methods in served_methods(app).items():
        path = a_path(template)
        for method in sorted(METHODS - methods):
            response = await client.request(method, path, headers=tenant.auth())
            allow = {m.strip() for m in response.headers.get("allow", "").split(",") if m}
            media_type = response.headers.get("content-type", "")
            if (
                response.status_code != 405
                or not media_type.startswith("application/problem+json")
                or allow != methods
            ):
                wrong.append((method, template, response.status_code, sorted(allow)))
    assert wrong == []


async def test_a_fixed_path_segment_is_never_read_as_an_id(app, client, tenant: Tenant):
    """The methods a fixed path serves reach its own route, not its templated neighbour's."""
    served = served_methods(app)
    routes = routes_of(app)
    contested = [
        template
        for template in served
        if any(
            route.path != template
            and route.path.count("{") > template.count("{")
            and route.path_regex.match(a_path(template))
            for route in routes
        )
    ]
    assert "/v1/rules/templates" in contested
    assert "/v1/campaigns/{campaign_id}/goals/progress" in contested
    misread = []
    for template in contested:
        own = set(re.findall(r"{([^}:]*)", template))
        for method in sorted(served[template] & METHODS):
            response = await client.request(method, a_path(template), headers=tenant.auth())
            if response.status_code == 422:
                fields = {f for f in fields_of(response.json()) if f.startswith("path.")}
                if fields - {f"path.{name}" for name in own}:
                    misread.append((method, template, fields))
    assert misread == []


async def test_a_bad_id_is_still_422_naming_it(client, tenant: Tenant):
    response = await client.patch("/v1/rules/not-an-id", json={}, headers=tenant.auth())
    assert "path.rule_id" in fields_of(assert_problem(response, 422))


def spec_request_headers(spec: dict[str, Any]) -> set[str]:
    """The headers the document says operations read, and those every request may carry."""
    names = {"Content-Type", "X-Request-ID"}  # read by middleware, for every operation
    for methods in spec["paths"].values():
        for operation in methods.values():
            names |= {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
    for scheme in spec["components"]["securitySchemes"].values():
        if scheme["type"] == "http":
            names.add("Authorization")
        elif scheme["type"] == "apiKey" and scheme["in"] == "header":
            names.add(scheme["name"])
    return names


async def test_a_browser_may_preflight_every_operation_with_every_header_we_read(settings, runtime):
    app = create_app(settings.model_copy(update={"cors_origins": [ORIGIN]}), runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        spec = (await client.get("/openapi.json")).json()
        headers = spec_request_headers(spec)
        lower = {h.lower() for h in headers}
        assert {"authorization", "if-match", "idempotency-key", "last-event-id"} <= lower
        refused = []
        for template, methods in spec["paths"].items():
            for method in methods:
                preflight = await client.options(
                    a_path(template),
                    headers={
                        "Origin": ORIGIN,
                        "Access-Control-Request-Method": method.upper(),
                        "Access-Control-Request-Headers": ", ".join(sorted(lower)),
                    },
                )
                if (
                    preflight.status_code != 200
                    or preflight.headers.get("access-control-allow-origin") != ORIGIN
                ):
                    refused.append((method, template, preflight.status_code, preflight.text))
        assert refused == []
        assert {m.upper() for methods in spec["paths"].values() for m in methods} >= {"PUT"}


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from models_in(field.annotation)
    for argument in typing.get_args(annotation):
        yield from models_in(argument)


def loose_booleans(annotation: Any, metadata: list[Any]) -> bool:
    """Whether a `bool` in this annotation takes 0, 1 or "yes" (pydantic's lax mode)."""
    if annotation is bool:
        return not any(isinstance(m, Strict) and m.strict for m in metadata)
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return loose_booleans(inner, [*metadata, *extra])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, dict, set):
        return any(loose_booleans(arg, []) for arg in typing.get_args(annotation))
    return False


async def test_every_boolean_in_a_json_body_is_strict(app):
    """A JSON boolean is true or false; 0, 1 and "yes" name the field in a 422."""
    loose = set()
    for route in routes_of(app):
        if isinstance(route, APIRoute) and route.body_field is not None:
            for model in models_in(route.body_field.field_info.annotation):
                for name, field in model.model_fields.items():
                    assert isinstance(field, FieldInfo)
                    if loose_booleans(field.annotation, list(field.metadata)):
                        loose.add(f"{model.__name__}.{name}")
    assert loose == set()


LEVEL = {"after_minutes": 0, "targets": [{"type": "role", "role": "campaign_owner"}]}


async def test_a_json_boolean_must_be_true_or_false(client, tenant: Tenant):
    for value in (0, 1, "false", "yes"):
        policy = {"name": "Ops", "levels": [LEVEL], "is_default": value}
        response = await client.post("/v1/escalation-policies", json=policy, headers=tenant.auth())
        assert fields_of(assert_problem(response, 422)) == {"body.is_default"}, value
        level = LEVEL | {"critical_overrides": value}
        response = await client.post(
            "/v1/escalation-policies",
            json={"name": "Ops", "levels": [level]},
            headers=tenant.auth(),
        )
        assert fields_of(assert_problem(response, 422)) == {"body.levels.0.critical_overrides"}
    created = await client.post(
        "/v1/escalation-policies",
        json={"name": "Ops", "levels": [LEVEL], "is_default": False},
        headers=tenant.auth(),
    )
    assert created.status_code == 201, created.text
    assert created.json()["is_default"] is False


async def test_query_booleans_read_text(client, tenant: Tenant):
    """A query string is text: true/false and 1/0 are booleans there, "maybe" is not."""
    spec = (await client.get("/openapi.json")).json()
    campaign = await client.post(
        "/v1/campaigns", json={"name": "618", "kind": "promotion"}, headers=tenant.auth()
    )
    # Dependencies that load the campaign run before query parameters are reported.
    real = {"campaign_id": campaign.json()["id"]}
    checked = 0
    for template, methods in spec["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                kinds = [s.get("type") for s in schema.get("anyOf", [schema])]
                if parameter["in"] != "query" or "boolean" not in kinds:
                    continue
                name, checked = parameter["name"], checked + 1
                for text in ("true", "false", "1", "0", "maybe"):
                    path = a_path(template.format_map(defaultdict(lambda: "{id}", real)))
                    response = await client.request(
                        method, path, params={name: text}, headers=tenant.auth()
                    )
                    named = f"query.{name}" in fields_of(response.json())
                    assert named == (text == "maybe"), (method, template, text, response.text)
    assert checked >= 9


async def test_the_rule_preview_filters_by_known_states_only(client, tenant: Tenant):
    """`state` names finding states; `false` is not one, so it is 422, not "no findings"."""
    rule = await client.post(
        "/v1/rules",
        json={
            "name": "GMV floor",
            "condition": "threshold",
            "params": {"metric": "gmv", "op": "<", "value": "1000"},
        },
        headers=tenant.auth(),
    )
    assert rule.status_code == 201, rule.text
    path = f"/v1/rules/{rule.json()['id']}/preview"
    wrong = await client.post(path, params={"state": "false"}, headers=tenant.auth())
    problem = assert_problem(wrong, 422)
    assert fields_of(problem) == {"query.state.0"}
    assert "breached" in problem["errors"][0]["detail"]
    fine = await client.post(
        path, params=[("state", "breached"), ("state", "clear")], headers=tenant.auth()
    )
    assert fine.status_code == 200, fine.text
