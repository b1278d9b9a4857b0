"""/docs (Swagger UI) and /redoc (ReDoc), with every asset served by the API itself.

FastAPI's own pages load their scripts, stylesheet and favicon (and ReDoc its fonts)
from CDNs, so they stay blank without internet. The `fastapi-offline` package ships the
same Swagger UI and ReDoc bundles; we serve its installed files. Their URLs carry the
package's version: an upgrade changes the URLs, so browsers may keep each one for a year.
"""

import os
from importlib import metadata

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

SWAGGER_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_PACKAGE = ("fastapi_offline", "static")
ASSETS_URL = f"{SWAGGER_URL}/assets/{metadata.version('fastapi-offline')}"
IMMUTABLE = "public, max-age=31536000, immutable"


class VersionedAssets(StaticFiles):
    """Static files under a versioned URL, which never names other content: cache for good."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def install(app: FastAPI) -> None:
    """Serve the doc pages and their assets; the app is created with docs_url=redoc_url=None."""
    # Starlette resolves the package's folder and fails here, at startup, if it is missing.
    app.mount(ASSETS_URL, VersionedAssets(packages=[ASSETS_PACKAGE]), name="docs_assets")

    @app.get(SWAGGER_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        redirect = app.swagger_ui_oauth2_redirect_url
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=f"{root}{redirect}" if redirect else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    if app.swagger_ui_oauth2_redirect_url:

        @app.get(app.swagger_ui_oauth2_redirect_url, include_in_schema=False)
        async def swagger_ui_oauth2_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,  # ReDoc falls back to the system's fonts
        )


def _root_path(request: Request) -> str:
    """The prefix a proxy serves the API under (FastAPI's own doc pages honour it too)."""
    return str(request.scope.get("root_path", "")).rstrip("/")
