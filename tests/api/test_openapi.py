"""The OpenAPI document is precise enough for frontend teams to generate clients from."""

import re
from collections import defaultdict

import pytest
from openapi_spec_validator import validate

from services.api import problem_codes
from services.api.app import create_app
from tests.openapi_schema import PROBLEM, response_object


@pytest.fixture
async def spec(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


async def test_every_operation_is_documented(spec):
    ids = []
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        ids.append(operation["operationId"])
        for status, response in operation["responses"].items():
            if status[0] in "45":
                content = response_object(spec, response)["content"]
                assert list(content) == ["application/problem+json"], where
        if path.startswith("/v1/"):
            signed = path == "/v1/ingest/{integration_id}"  # the webhook; batches need a key
            expected: list[dict[str, list[str]]] = [
                {"StandardWebhooks" if signed else "HTTPBearer": []}
            ]
            if path == "/v1/events/stream":  # or a stream token, for a browser's EventSource
                expected.append({"StreamToken": []})
            assert operation["security"] == expected, where
            for status in ("401", "403", "429", "500"):
                assert status in operation["responses"], (where, status)
        if method in ("post", "patch") and "requestBody" in operation:
            assert "422" in operation["responses"], where
    assert len(ids) == len(set(ids))
    assert "create_member" in ids


async def test_idempotency_and_if_match_headers_are_documented(spec):
    post = spec["paths"]["/v1/members"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in post["parameters"]}
    patch = spec["paths"]["/v1/members/{member_id}"]["patch"]
    assert "if-match" in {p["name"].lower() for p in patch["parameters"]}


async def test_schemas_carry_examples_and_limits(spec):
    schemas = spec["components"]["schemas"]
    member = schemas["MemberCreate"]["properties"]
    assert member["name"]["maxLength"] == 200
    assert member["name"]["examples"]
    assert "errors" in schemas["Problem"]["properties"]
    assert "HTTPValidationError" not in schemas


def resolve(spec, schema):
    if "anyOf" in schema:  # an optional body: the model or null
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def has_example(spec, schema) -> bool:
    schema = resolve(spec, schema)
    if "examples" in schema or "example" in schema:
        return True
    if schema.get("type") == "array":
        return has_example(spec, schema["items"])
    items = schema.get("properties", {}).get("items")  # a page: its items carry the example
    return items is not None and has_example(spec, items.get("items", items))


async def test_every_body_and_success_response_has_an_example(spec):
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        body = operation.get("requestBody")
        if body:
            for media_type, content in body["content"].items():
                assert has_example(spec, content["schema"]), (where, media_type)
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if status.startswith("2") and content and content["schema"]:
                assert has_example(spec, content["schema"]), (where, status)


async def test_the_report_import_documents_both_media_types(spec):
    operation = spec["paths"]["/v1/campaigns/{campaign_id}/metric-points/import"]["post"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    content = operation["requestBody"]["content"]
    assert list(content) == ["text/csv", xlsx]
    assert content[xlsx]["schema"]["format"] == "binary"
    assert {"201", "400", "413", "415", "422"} <= set(operation["responses"])
    assert {"Idempotency-Key", "sheet"} <= {p["name"] for p in operation["parameters"]}


async def test_docs_page_is_served(client):
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def refs_in(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def pointed_at(spec, ref: str):
    assert ref.startswith("#/"), ref  # the document is self-contained
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


async def test_the_document_is_valid_and_every_ref_resolves(spec):
    """Client generators (openapi-typescript, Redocly) abort on a `$ref` to nowhere."""
    validate(spec)  # does not follow refs in `webhooks`: hence the walk below
    dangling = set()
    for ref in refs_in(spec):
        try:
            pointed_at(spec, ref)
        except (KeyError, TypeError):
            dangling.add(ref)
    assert not dangling


async def test_no_two_schemas_share_a_name(spec):
    """Same-named models are mangled to module paths, and generators drop one of them."""
    schemas = spec["components"]["schemas"]
    assert [name for name in schemas if "__" in name] == []
    by_title = defaultdict(list)
    for name, schema in schemas.items():
        by_title[schema.get("title", name)].append(name)
    assert {title: names for title, names in by_title.items() if len(names) > 1} == {}


async def test_operation_ids_are_the_operations_names(spec):
    """Paths and webhooks alike: `webhook_format`, not FastAPI's `..._format_post`."""
    ids = []
    for section in ("paths", "webhooks"):
        for where, methods in spec[section].items():
            for method, operation in methods.items():
                operation_id = operation["operationId"]
                assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", operation_id), (where, operation_id)
                assert not operation_id.endswith(f"_{method}"), (where, operation_id)
                ids.append(operation_id)
    assert len(ids) == len(set(ids))
    assert {"webhook_format", "slack_format", "pagerduty_format"} <= set(ids)


async def test_every_error_response_lists_the_codes_its_operation_can_answer(spec):
    """`Problem.code` narrowed per operation and status (services/api/problem_codes.py)."""
    every = set(spec["components"]["schemas"]["ProblemCode"]["enum"])
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status[0] not in "45":
                continue
            schema = response_object(spec, response)["content"]["application/problem+json"]
            schema = resolve(spec, schema["schema"])
            assert schema["allOf"][0] == {"$ref": "#/components/schemas/Problem"}
            codes = schema["allOf"][1]["properties"]["code"]["enum"]
            assert codes, (method, path, status)
            assert set(codes) <= every
            if status == "500":
                assert codes == ["internal_error"], (method, path)


async def test_operations_answering_the_same_codes_share_one_problem_component(spec):
    """Copied into every operation, the ~2,000 error responses doubled the document and gave
    generated clients a model each: each distinct list of codes is one component."""
    named: dict[str, list[str]] = {}
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status[0] not in "45":
                continue
            schema = response_object(spec, response)["content"][PROBLEM]["schema"]
            assert list(schema) == ["$ref"], (method, path, status)
            name = schema["$ref"].rsplit("/", 1)[1]
            codes = resolve(spec, schema)["allOf"][1]["properties"]["code"]["enum"]
            # Named by the codes beyond the status's generic ones: ConflictProblemCampaignLocked.
            assert name == problem_codes.component_name(int(status), codes)
            named[name] = codes
    assert len({tuple(codes) for codes in named.values()}) == len(named)
    assert named["NotFoundProblem"] == ["not_found"]
    # Whole responses are shared too; a response with its own description keeps it.
    member_errors = spec["paths"]["/v1/members/{member_id}"]["get"]["responses"]["404"]
    assert member_errors == {"$ref": "#/components/responses/NotFoundProblem"}
    upload = spec["paths"]["/v1/campaigns/{campaign_id}/metric-points/import"]["post"]
    assert upload["responses"]["413"]["description"].startswith("Body larger than")


def test_apps_of_the_same_routes_share_one_build_but_not_its_changes(settings):
    first = create_app(settings).openapi()
    first["info"]["title"] = "changed by a caller"
    assert create_app(settings).openapi()["info"]["title"] == "campaignops"

    async def probe() -> dict[str, str]:
        return {}

    extended = create_app(settings)
    extended.add_api_route("/v1/test-probe", probe, methods=["GET"], summary="Probe")
    assert "/v1/test-probe" in extended.openapi()["paths"]
    assert "/v1/test-probe" not in create_app(settings).openapi()["paths"]
