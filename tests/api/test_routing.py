"""Routers whose routes cannot match a path are not tried, and every route is still served."""

from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from starlette.types import Scope

from services.api import routing


def make_app() -> tuple[FastAPI, list[str]]:
    tried: list[str] = []
    tasks, campaigns, anything = APIRouter(), APIRouter(), APIRouter()

    @tasks.get("/v1/tasks/{task_id}")
    async def get_task(task_id: str) -> str:
        return f"task {task_id}"

    @campaigns.get("/v1/campaigns")
    async def list_campaigns() -> str:
        return "campaigns"

    @campaigns.get("/v1/campaigns/{campaign_id}/goals")
    async def goals(campaign_id: str) -> str:
        return f"goals of {campaign_id}"

    @anything.get("/{page}")
    async def page(page: str) -> str:
        return f"page {page}"

    app = FastAPI()
    app.state.routers = [tasks, campaigns, anything]
    for name, router in zip(("tasks", "campaigns", "anything"), app.state.routers, strict=True):
        app.include_router(router)
        included = app.router.routes[-1]
        original = included.matches

        def spy(scope: Scope, original: Any = original, name: str = name) -> Any:
            tried.append(name)
            return original(scope)

        included.matches = spy  # type: ignore[method-assign]
    routing.install(app)
    return app, tried


async def test_only_routers_that_can_match_are_tried():
    app, tried = make_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path, body, routers in [
            ("/v1/campaigns", "campaigns", ["campaigns"]),
            ("/v1/campaigns/c1/goals", "goals of c1", ["campaigns"]),
            ("/v1/tasks/t1", "task t1", ["tasks"]),
            # A route starting with a parameter can match anything: its router is tried.
            ("/about", "page about", ["anything"]),
        ]:
            tried.clear()
            response = await client.get(path)
            assert response.json() == body
            assert tried == routers, path
        tried.clear()
        assert (await client.get("/v1/nothing/here")).status_code == 404
        assert set(tried) == {"anything"}
