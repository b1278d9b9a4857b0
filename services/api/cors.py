"""What a browser frontend on another origin may send and read (CORS).

The methods and request headers come from the routes themselves: a list kept by hand
missed `PUT` and `Last-Event-ID`, so browsers could not call those at all.
"""

from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.security.http import HTTPBase
from starlette.routing import Route

from services.api.routing import served_routes

# Read by middleware before any route is chosen, so no route declares them.
MIDDLEWARE_REQUEST_HEADERS = ("Content-Type", "X-Request-ID")
RESPONSE_HEADERS = ("ETag", "Location", "X-Request-ID", "Idempotent-Replayed", "Retry-After")


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def request_methods(routes: Iterable[Route]) -> list[str]:
    return sorted({method for route in routes for method in route.methods or ()})


def request_headers(routes: Iterable[Route]) -> list[str]:
    """Every header a route reads: its header parameters and its HTTP auth scheme."""
    names = set(MIDDLEWARE_REQUEST_HEADERS)
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        for dependant in _dependants(route.dependant):
            if isinstance(dependant.call, HTTPBase):
                names.add("Authorization")
            for param in dependant.header_params:
                name = param.alias
                # FastAPI's rule: an unaliased `if_match` parameter reads `if-match`.
                if name == param.name and getattr(param.field_info, "convert_underscores", True):
                    name = name.replace("_", "-")
                names.add(name)
    return sorted(names, key=str.lower)


def install(app: FastAPI, origins: list[str]) -> None:
    """Call once every router is included; added last, it answers preflights first."""
    routes = served_routes(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=request_methods(routes),
        allow_headers=request_headers(routes),
        expose_headers=list(RESPONSE_HEADERS),
        max_age=600,
    )
