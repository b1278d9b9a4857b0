"""/docs and /redoc work without internet: every asset they load is served by the API itself.

The browser half of this promise (the pages render with the network cut) is
tests/test_docs_browser.py; this file checks the HTML and the asset answers, fast.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.helpers import assert_problem

DOC_PAGES = ("/docs", "/redoc")
# What each kind of asset must be served as, for a browser to use it (and not refuse a
# script served as text/plain, which it does under `X-Content-Type-Options: nosniff`).
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}


class AssetLinks(HTMLParser):
    """The URLs a page makes the browser fetch: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        wanted = {"script": "src", "link": "href", "img": "src", "redoc": "spec-url"}
        url = found.get(wanted.get(tag, ""))
        if url:
            self.urls.append(url)


def asset_urls(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", DOC_PAGES)
async def test_doc_pages_load_nothing_from_other_origins(client, page):
    response = await client.get(page)  # no API key: the docs are public
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-request-id"]
    urls = asset_urls(response.text)
    assert any(url.endswith(".js") for url in urls), urls
    for url in urls:
        # Same origin: no host (neither `https://cdn...` nor protocol-relative `//cdn...`).
        assert urlsplit(url).netloc == "", (page, url)
        assert url.startswith("/"), (page, url)
    assert "http://" not in response.text
    assert "https://" not in response.text


@pytest.mark.parametrize("page", DOC_PAGES)
async def test_doc_assets_are_served_with_their_type_and_cached_long(client, page):
    page_html = (await client.get(page)).text
    assets = [url for url in asset_urls(page_html) if url != "/openapi.json"]
    assert {url.rsplit(".", 1)[1] for url in assets} >= {"js", "png"}
    for url in assets:
        response = await client.get(url)
        assert response.status_code == 200, url
        suffix = "." + url.rsplit(".", 1)[1]
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type in CONTENT_TYPES[suffix], (url, media_type)
        assert len(response.content) > 1000, url
        # The URL carries the assets' version, so a browser may keep them for a year.
        cache_control = response.headers["cache-control"]
        assert "max-age=31536000" in cache_control, url
        assert "immutable" in cache_control, url
        assert response.headers["x-request-id"]


async def test_swagger_ui_has_its_stylesheet(client):
    urls = asset_urls((await client.get("/docs")).text)
    assert any(url.endswith(".css") for url in urls), urls


async def test_doc_pages_are_not_cached_long(client):
    # The pages name the versioned assets: they must be fetched again after an upgrade.
    for page in DOC_PAGES:
        response = await client.get(page)
        assert "immutable" not in response.headers.get("cache-control", "")


async def test_an_unknown_asset_is_a_problem_404(client):
    page_html = (await client.get("/docs")).text
    script = next(url for url in asset_urls(page_html) if url.endswith(".js"))
    missing = script.rsplit("/", 1)[0] + "/no-such-file.js"
    assert_problem(await client.get(missing), 404)


async def test_doc_routes_stay_out_of_the_openapi_document(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]
