"""A campaign's goals, budget lines, expenses, phases and risks: the same five operations each.

The routes are made by one factory so that every kind behaves alike (pagination,
If-Match, Location, problems); what differs — when a kind may change, which of its
fields name members, what else it checks — lives in `shared.campaigns.plan`.
"""

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import (
    ChangeableCampaign,
    DbSession,
    Idempotent,
    IfMatch,
    Pagination,
    ReadableCampaign,
    set_etag,
)
from services.api.problems import problem_responses
from shared.allocations import references
from shared.campaigns import plan
from shared.campaigns import plan_schemas as schemas
from shared.campaigns.models import Campaign
from shared.pagination import Page

router = APIRouter(prefix="/v1/campaigns/{campaign_id}")


def add_routes(
    *,
    path: str,
    singular: str,
    kind: plan.PlanItemKind[Any],
    create: type[BaseModel],
    update: type[BaseModel],
    out: type[BaseModel],
    when: str,
) -> None:
    tags: list[str | Any] = [f"campaign {path.replace('-', ' ')}"]
    plural = path.replace("-", "_")
    name = singular.replace(" ", "_")

    async def shown(session: AsyncSession, campaign: Campaign, items: list[Any]) -> list[Any]:
        # As the API shows them: a kind may name things otherwise than its columns do.
        views = await plan.present(session, kind, campaign=campaign, items=items)
        return [out.model_validate(view) for view in views]

    async def list_items(
        campaign: ReadableCampaign, session: DbSession, page: Pagination
    ) -> Page[Any]:
        results = await plan.list_items(session, kind, campaign=campaign, page=page)
        items = await shown(session, campaign, list(results.items))
        return Page[Any](items=items, next_cursor=results.next_cursor)

    async def create_item(
        body: BaseModel,
        campaign: ChangeableCampaign,
        session: DbSession,
        response: Response,
    ) -> Any:
        item = await plan.create_item(session, kind, campaign=campaign, data=body.model_dump())
        response.headers["Location"] = f"/v1/campaigns/{campaign.id}/{path}/{item.id}"
        set_etag(response, item.version)
        return (await shown(session, campaign, [item]))[0]

    async def get_item(
        item_id: uuid.UUID, campaign: ReadableCampaign, session: DbSession, response: Response
    ) -> Any:
        item = await plan.get_item(session, kind, campaign=campaign, item_id=item_id)
        set_etag(response, item.version)
        return (await shown(session, campaign, [item]))[0]

    async def update_item(
        item_id: uuid.UUID,
        body: BaseModel,
        campaign: ChangeableCampaign,
        session: DbSession,
        if_match: IfMatch,
        response: Response,
    ) -> Any:
        item = await plan.get_item(session, kind, campaign=campaign, item_id=item_id)
        item = await plan.update_item(
            session,
            kind,
            campaign=campaign,
            item=item,
            changes=body.model_dump(),
            expected_versions=if_match,
        )
        set_etag(response, item.version)
        return (await shown(session, campaign, [item]))[0]

    async def delete_item(
        item_id: uuid.UUID, campaign: ChangeableCampaign, session: DbSession, if_match: IfMatch
    ) -> None:
        item = await plan.get_item(session, kind, campaign=campaign, item_id=item_id)
        await plan.delete_item(
            session, kind, campaign=campaign, item=item, expected_versions=if_match
        )

    # FastAPI reads the body's model from the annotation: give each kind its own.
    create_item.__annotations__["body"] = create
    update_item.__annotations__["body"] = update
    item_path = f"/{path}/{{item_id}}"
    router.add_api_route(
        f"/{path}",
        list_items,
        methods=["GET"],
        name=f"list_{plural}",
        summary=f"List the campaign's {path.replace('-', ' ')}",
        response_model=Page[out],  # type: ignore[valid-type]
        tags=tags,
        responses=problem_responses(400, 404, 422),
    )
    router.add_api_route(
        f"/{path}",
        create_item,
        methods=["POST"],
        name=f"create_{name}",
        summary=f"Add a {singular} ({when})",
        response_model=out,
        status_code=status.HTTP_201_CREATED,
        tags=tags,
        dependencies=[Idempotent],
        responses=problem_responses(404, 409, 415, 422),
    )
    router.add_api_route(
        item_path,
        get_item,
        methods=["GET"],
        name=f"get_{name}",
        summary=f"Get a {singular}",
        response_model=out,
        tags=tags,
        responses=problem_responses(404, 422),
    )
    router.add_api_route(
        item_path,
        update_item,
        methods=["PATCH"],
        name=f"update_{name}",
        summary=f"Edit a {singular} ({when})",
        response_model=out,
        tags=tags,
        responses=problem_responses(404, 409, 412, 415, 422),
    )
    router.add_api_route(
        item_path,
        delete_item,
        methods=["DELETE"],
        name=f"delete_{name}",
        summary=f"Remove a {singular} ({when})",
        status_code=status.HTTP_204_NO_CONTENT,
        tags=tags,
        responses=problem_responses(404, 409, 412, 422),
    )


PLAN_TIME = "in draft or rejected; after approval through /revise"
add_routes(
    path="goals",
    singular="goal",
    kind=plan.GOALS,
    create=schemas.GoalCreate,
    update=schemas.GoalUpdate,
    out=schemas.GoalOut,
    when=PLAN_TIME,
)
add_routes(
    path="budget-lines",
    singular="budget line",
    kind=references.BUDGET_LINES,
    create=schemas.BudgetLineCreate,
    update=schemas.BudgetLineUpdate,
    out=schemas.BudgetLineOut,
    when=PLAN_TIME,
)
add_routes(
    path="expenses",
    singular="expense",
    kind=references.EXPENSES,
    create=schemas.ExpenseCreate,
    update=schemas.ExpenseUpdate,
    out=schemas.ExpenseOut,
    when="once approved, until archived",
)
add_routes(
    path="phases",
    singular="phase",
    kind=plan.PHASES,
    create=schemas.PhaseCreate,
    update=schemas.PhaseUpdate,
    out=schemas.PhaseOut,
    when="until the campaign completes; not while pending approval",
)
add_routes(
    path="risks",
    singular="risk",
    kind=plan.RISKS,
    create=schemas.RiskCreate,
    update=schemas.RiskUpdate,
    out=schemas.RiskOut,
    when="until the campaign completes; not while pending approval",
)
