"""Which routes a path belongs to: a fixed path segment is never an id.

Starlette takes the first route matching both path and method, so `PATCH
/v1/rules/templates` reached `PATCH /v1/rules/{rule_id}` with `rule_id="templates"` and
answered 422, where `/v1/rules/templates` exists and only does not take PATCH (405).
OpenAPI's rule applies here: a concrete path matches before a templated one.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

_PARAMETER = re.compile(r"{[^}]*}")
# Stands in for any parameter when testing which templates can overlap.
_SAMPLE_VALUE = "01a2010c-c015-761b-9bc5-6ac427b850dc"


def specificity(template: str) -> tuple[bool, ...]:
    """Sorts concrete before templated, segment by segment from the left."""
    return tuple("{" in segment for segment in template.strip("/").split("/"))


def served_routes(app: FastAPI) -> list[Route]:
    """Every route of the app: its own (the schema, the docs) and its routers'."""
    # The app holds included routers as opaque entries; app.state.routers lists them.
    candidates = [
        *app.router.routes,
        *(route for router in app.state.routers for route in router.routes),
    ]
    return [route for route in candidates if isinstance(route, Route)]


def owners(routes: Iterable[Route], path: str) -> list[Route]:
    """The routes `path` belongs to: those of the most concrete template matching it."""
    matching = [route for route in routes if route.path_regex.match(path)]
    if not matching:
        return []
    best = min(specificity(route.path) for route in matching)
    return [route for route in matching if specificity(route.path) == best]


def allowed_methods(routes: Iterable[Route], path: str) -> set[str]:
    return {method for route in owners(routes, path) for method in route.methods or ()}


class ConcretePathsFirst(BaseRoute):
    """Answers 405 for a concrete path's other methods before a templated neighbour can.

    Placed first in the app's routes. It only looks at the concrete paths that a
    templated route also matches; for the methods they serve it stands aside, and their
    own route answers (it comes before its templated neighbour; tests check that).
    """

    def __init__(self, routes: Sequence[Route]) -> None:
        self.contested: list[tuple[re.Pattern[str], frozenset[str], Route]] = []
        templates: dict[str, list[Route]] = {}
        for route in routes:
            templates.setdefault(route.path, []).append(route)
        # Once per template, not per pair: every app (one per test) builds this.
        ranks = {template: specificity(template) for template in templates}
        for template, group in templates.items():
            sample = _PARAMETER.sub(_SAMPLE_VALUE, template)
            if any(
                ranks[other] > ranks[template] and others[0].path_regex.match(sample)
                for other, others in templates.items()
            ):
                methods = frozenset(m for route in group for m in route.methods or ())
                self.contested.append((group[0].path_regex, methods, group[0]))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path: str = scope["path"]
        for regex, methods, route in self.contested:
            if regex.match(path):
                if scope["method"] in methods:
                    return Match.NONE, {}
                # The access log and metrics name the route by this template.
                return Match.FULL, {"route": route}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The app's handler turns it into a problem with the Allow header.
        raise HTTPException(status_code=405)


def leading_segments(path: str) -> tuple[str, ...]:
    """A route's literal first segments (at most two): a request path must start with them."""
    literal: list[str] = []
    for segment in path.strip("/").split("/")[:2]:
        if "{" in segment:
            break
        literal.append(segment)
    return tuple(literal)


class RouterGate:
    """Skips an included router when none of its routes can match the request's path.

    Starlette tries the app's routes in order, and FastAPI tries each included router's
    routes in turn: `POST /v1/campaigns` was matched against 41 path patterns in ten
    routers (~7% of the request's CPU). A router is now tried only when the path starts
    with the literal segments of one of its routes.
    """

    def __init__(self, matches: Callable[[Scope], tuple[Match, Scope]], paths: list[str]):
        self._matches = matches
        self.keys = frozenset(leading_segments(path) for path in paths)
        self._always = () in self.keys  # a route starting with a parameter matches anything

    def __call__(self, scope: Scope) -> tuple[Match, Scope]:
        if self._always:
            return self._matches(scope)
        segments = scope["path"].split("/", 3)  # "/v1/campaigns/..." -> ["", "v1", ...]
        first = tuple(segments[1:2])
        if first in self.keys or tuple(segments[1:3]) in self.keys:
            return self._matches(scope)
        return Match.NONE, {}


def _gate_routers(app: FastAPI) -> None:
    for entry in app.router.routes:
        router = getattr(entry, "original_router", None)  # an included APIRouter
        if router is None:
            continue
        prefix = entry.include_context.prefix  # type: ignore[attr-defined]
        paths = [
            prefix + route.path if isinstance(route, Route) else "/"  # nested: always try
            for route in router.routes
        ]
        entry.matches = RouterGate(entry.matches, paths)  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    """Call once every router is included."""
    _gate_routers(app)
    app.router.routes.insert(0, ConcretePathsFirst(served_routes(app)))
