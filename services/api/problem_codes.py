"""Which problem codes each operation can answer, read from the code it runs.

No route lists its codes by hand (a list per route rots): the document asks the code.
From an operation's endpoint and its dependencies (authentication, role, the campaign in
the path, If-Match, Idempotency-Key...) the functions they call are followed through
`shared` and `services`, and every problem built on the way is collected:

- a domain error (`Conflict("...", code="campaign_locked", allowed_actions=[...])`): its
  status from `services/api/errors.py`, its code (the `code=` given, else the class's
  own) and its extension members (the other keywords). A code passed in by the caller
  (`_ensure_status(..., "settlement_closed")`, `code=f"not_task_{role}"`) is read at each
  call site that passes it as a literal;
- an `HttpProblem(401, "unauthorized", ...)`: the status and code it names.

Calls are followed when they name a function through a module, a class or an imported
name (`service.create_rule(...)`, `lifecycle.check(...)`); a method called on an object
is not, nor a function passed around as a value. What any operation may answer besides
(the edges: validation, body limits, a race on a unique row, an outage) is `GENERIC`.

`document()` writes it into the OpenAPI document: each error response of an operation
refers to a component naming exactly its codes (`ConflictProblemCampaignLocked`: `Problem`
with `code` narrowed to an enum), shared by every response answering the same codes; the
`ProblemCode` component lists them all.
tests/api/test_problem_codes.py checks that real requests answer documented codes.
"""

import ast
import builtins
import functools
import hashlib
import inspect
import textwrap
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from services.api.errors import DOMAIN_STATUS
from services.api.problems import PROBLEM_MEDIA_TYPE, HttpProblem, problem_responses
from shared import errors as domain

# Followed into: our own code, nothing else.
_OURS = ("shared.", "services.")
_BODY_METHODS = {"post", "put", "patch"}
_WRITE_METHODS = _BODY_METHODS | {"delete"}


@dataclass(frozen=True)
class Raised:
    status: int
    code: str
    extras: frozenset[str] = frozenset()


# What any operation may answer whatever its own code does, by status: the generic code
# of each status it documents (a 404 of a route's parameter, a 409 of a race on a unique
# row or a concurrent update, a 422 of the request's validation or of text PostgreSQL
# cannot store...).
GENERIC: dict[int, tuple[str, ...]] = {
    400: ("bad_request",),
    401: ("unauthorized",),
    403: ("forbidden",),
    404: ("not_found",),
    409: ("conflict", "concurrent_update"),
    412: ("precondition_failed",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    422: ("validation_error", "invalid_text"),
    429: ("too_many_requests",),
    500: ("internal_error",),
    503: ("unavailable",),
}
# Only where a JSON body is read (the request guards and FastAPI's parsing).
BODY: tuple[Raised, ...] = (
    Raised(400, "malformed_json"),
    Raised(413, "payload_too_large"),
    Raised(415, "unsupported_media_type"),
    Raised(422, "validation_error"),
)


@dataclass(frozen=True)
class _Deferred:
    """A problem whose code is an expression of the function's parameters."""

    status: int
    code: ast.expr
    fallback: str
    extras: frozenset[str]


@dataclass(frozen=True)
class _Call:
    """A call to one of our functions, with the literal arguments it passes."""

    function: types.FunctionType
    literals: tuple[tuple[str, Any], ...]


@dataclass
class _Found:
    """What one function builds itself, and the calls it makes."""

    raised: set[Raised] = field(default_factory=set)
    deferred: list[_Deferred] = field(default_factory=list)
    calls: list[_Call] = field(default_factory=list)


def _status_of(cls: type[domain.DomainError]) -> int:
    return next(status for base, status in DOMAIN_STATUS.items() if issubclass(cls, base))


def _resolve(node: ast.expr, scope: dict[str, Any]) -> Any:
    """The object a name or a dotted name refers to, through modules and classes only."""
    if isinstance(node, ast.Name):
        return scope[node.id] if node.id in scope else getattr(builtins, node.id, None)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, scope)
        if isinstance(base, types.ModuleType | type):
            return inspect.getattr_static(base, node.attr, None)
    return None


def _text(node: ast.expr | None, scope: dict[str, Any]) -> str | int | None:
    """A literal, a constant's value, or an f-string of those; None when not known."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str | int) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            value = _text(part.value if isinstance(part, ast.FormattedValue) else part, scope)
            if value is None:
                return None
            parts.append(str(value))
        return "".join(parts)
    value = _resolve(node, scope)
    return value if isinstance(value, str | int) else None


def _scope_of(function: types.FunctionType) -> dict[str, Any]:
    scope = dict(function.__globals__)
    for name, cell in zip(function.__code__.co_freevars, function.__closure__ or (), strict=True):
        try:
            scope[name] = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
    return scope


def _ours(value: Any) -> bool:
    return bool((getattr(value, "__module__", None) or "").startswith(_OURS))


def _function(value: Any) -> types.FunctionType | None:
    """The plain function behind a callable of ours (unwrapped), else None."""
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, functools.partial):
        value = value.func
    if callable(value):
        value = inspect.unwrap(value)
    if isinstance(value, type) and _ours(value):
        value = value.__dict__.get("__init__")
    if isinstance(value, types.FunctionType) and _ours(value):
        return value
    return None


def _parameters(function: types.FunctionType) -> list[str]:
    return list(inspect.signature(function).parameters)


def _literals(call: ast.Call, callee: types.FunctionType, scope: dict[str, Any]) -> _Call:
    names = _parameters(callee)
    bound: dict[str, Any] = {}
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred) or position >= len(names):
            break
        bound[names[position]] = _text(argument, scope)
    for keyword in call.keywords:
        if keyword.arg is not None:
            bound[keyword.arg] = _text(keyword.value, scope)
    return _Call(callee, tuple((k, v) for k, v in bound.items() if v is not None))


@functools.cache
def _found_in(function: types.FunctionType) -> _Found:
    found = _Found()
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return found
    scope = _scope_of(function)
    parameters = set(_parameters(function))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = _resolve(node.func, scope)
        keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
        if isinstance(target, type) and issubclass(target, domain.DomainError):
            extras = frozenset(keywords) - {"code", "errors"}
            status, expression = _status_of(target), keywords.get("code")
            code = _text(expression, scope)
            if expression is None or isinstance(code, str):
                found.raised.add(
                    Raised(status, code if isinstance(code, str) else target.code, extras)
                )
            elif {n.id for n in ast.walk(expression) if isinstance(n, ast.Name)} & parameters:
                found.deferred.append(_Deferred(status, expression, target.code, extras))
            else:  # a code from elsewhere (`exc.code` re-raised): its origin is collected
                found.raised.add(Raised(status, target.code, extras))
        elif target is HttpProblem:
            arguments = [*node.args[:2], keywords.get("status"), keywords.get("code")]
            given = [a for a in arguments if a is not None]
            number, name = (_text(a, scope) for a in [*given, None, None][:2])
            extras = frozenset(keywords) - {"status", "code", "title", "detail", "headers"}
            if isinstance(number, int) and isinstance(name, str):
                found.raised.add(Raised(number, name, extras))
        else:
            callee = _function(target)
            if callee is not None:
                found.calls.append(_literals(node, callee, scope))
    return found


def _settle(deferred: _Deferred, call: _Call) -> Raised:
    scope = _scope_of(call.function) | dict(call.literals)
    code = _text(deferred.code, scope)
    return Raised(deferred.status, code if isinstance(code, str) else deferred.fallback)


def raised_by(functions: Iterable[Callable[..., Any]]) -> set[Raised]:
    """Every problem the functions, and what they call in turn, can build."""
    seen: set[types.FunctionType] = set()
    raised: set[Raised] = set()
    todo = [f for f in map(_function, functions) if f is not None]
    while todo:
        function = todo.pop()
        if function in seen:
            continue
        seen.add(function)
        found = _found_in(function)
        raised |= found.raised
        for call in found.calls:
            for deferred in _found_in(call.function).deferred:
                settled = _settle(deferred, call)
                raised.add(Raised(settled.status, settled.code, deferred.extras))
            todo.append(call.function)
    return raised


def calls_of(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """The endpoint and every dependency it runs (sub-dependencies included)."""
    if dependant.call is not None:
        call = dependant.call
        yield call if inspect.isroutine(call) or isinstance(call, type) else type(call).__call__
    for sub in dependant.dependencies:
        yield from calls_of(sub)


def for_route(route: APIRoute, method: str, *, reads_body: bool) -> set[Raised]:
    raised = raised_by(calls_of(route.dependant))
    if reads_body:
        raised |= set(BODY)
    if method in _WRITE_METHODS:
        raised |= {Raised(409, code) for code in GENERIC[409]}
    if route.dependant.path_params or route.dependant.query_params or route.dependant.header_params:
        raised.add(Raised(422, "validation_error"))
    return raised


def codes_by_status(raised: Iterable[Raised], statuses: Iterable[int]) -> dict[int, list[str]]:
    """The codes of each status: those raised, and the generic ones of every status."""
    codes: dict[int, set[str]] = {status: set(GENERIC.get(status, ())) for status in statuses}
    for problem in raised:
        codes.setdefault(problem.status, set(GENERIC.get(problem.status, ()))).add(problem.code)
    return {status: sorted(found) for status, found in sorted(codes.items())}


def document(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    """Each operation's error responses name the codes it can answer (an enum narrowing
    `Problem.code`); responses for statuses its code raises but it did not list are added."""
    every: set[str] = set()
    # One component per distinct (status, codes): inlined per operation, the ~2,000 error
    # responses doubled the document and gave generated clients a model each.
    narrowed: dict[str, dict[str, Any]] = {}
    by_path = {
        (method.lower(), route.path_format): route
        for route in routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    for path, items in schema.get("paths", {}).items():
        for method, operation in items.items():
            route = by_path.get((method, path))
            if route is None:
                continue
            responses = operation.setdefault("responses", {})
            reads_body = "requestBody" in operation
            raised = for_route(route, method, reads_body=reads_body)
            listed = [int(status) for status in responses if status[0] in "45"]
            codes = codes_by_status(raised, listed)
            for status, names in codes.items():
                entry = responses.setdefault(str(status), {"description": _description(status)})
                name = component_name(status, names)
                if narrowed.setdefault(name, _narrowed(names)) != _narrowed(names):
                    raise ValueError(f"two sets of problem codes are both named {name}")
                entry["content"] = {
                    PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{name}"}}
                }
                every.update(names)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in sorted(narrowed):
        if name in components:
            raise ValueError(f"the problem component {name} would replace a model's schema")
        components[name] = narrowed[name]
    components["ProblemCode"] = {
        "type": "string",
        "enum": sorted(every),
        "title": "ProblemCode",
        "description": "Every `code` a problem of this API carries; each operation's "
        "responses list those it can answer.",
    }
    problem = components.get("Problem", {}).get("properties", {})
    if "code" in problem:
        problem["code"] = {
            "$ref": "#/components/schemas/ProblemCode",
            "description": "Stable machine-readable code",
        }


def share_responses(schema: dict[str, Any]) -> None:
    """Error responses that are the same object (description, headers, problem component)
    become one `components/responses` entry named like their problem component, which
    operations refer to: most of the document's bytes were their copies. A response with
    its own description (the limit of a file upload) stays in its operation."""
    shared = schema.setdefault("components", {}).setdefault("responses", {})
    for items in schema.get("paths", {}).values():
        for operation in items.values():
            responses = operation.get("responses", {})
            for status, response in responses.items():
                if status[0] not in "45" or response.get("description") != _description(
                    int(status)
                ):
                    continue
                ref = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("schema", {})
                name = ref.get("$ref", "").removeprefix("#/components/schemas/")
                if not name or shared.setdefault(name, response) != response:
                    continue
                responses[status] = {"$ref": f"#/components/responses/{name}"}
    schema["components"]["responses"] = dict(sorted(shared.items()))


def _description(status: int) -> str:
    try:
        described: str = problem_responses(status)[status]["description"]
    except KeyError:  # a status no route lists: its reason phrase
        return HTTPStatus(status).phrase
    return described


# Longer names make generated clients' file names too long for some file systems.
_LONGEST_NAME = 100


def component_name(status: int, codes: list[str]) -> str:
    """`<Status>Problem` and the codes beyond the status's generic ones, in CamelCase:
    `NotFoundProblem`, `ConflictProblemCampaignLocked`; a digest of the codes ends a name
    that would be too long."""
    generic = GENERIC.get(status, ())
    base = _camel(generic[0]) if generic else f"Status{status}"
    name = base + "Problem" + "".join(_camel(code) for code in codes if code not in generic)
    if len(name) > _LONGEST_NAME:
        digest = hashlib.sha256(",".join(codes).encode()).hexdigest()[:8]
        name = f"{name[: _LONGEST_NAME - 9]}_{digest}"
    return name


def _camel(code: str) -> str:
    return "".join(word.capitalize() for word in code.split("_"))


def _narrowed(codes: list[str]) -> dict[str, Any]:
    return {
        "allOf": [
            {"$ref": "#/components/schemas/Problem"},
            {"type": "object", "properties": {"code": {"type": "string", "enum": codes}}},
        ]
    }
