"""Server-rendered pages of a campaign (report, evaluation, proposal, settlement,
retrospective), by API key or by share link, and the share links themselves."""

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from services.api.deps import DbSession, Editor, NotIdempotent, Pagination, ReadableCampaign
from services.api.problems import problem_responses
from shared.campaigns.models import Campaign
from shared.pagination import Page
from shared.report_pages import render
from shared.report_pages.service import PageName, Rendered, render_page
from shared.share_links import service as share_links
from shared.share_links.schemas import ShareLinkCreate, ShareLinkCreated, ShareLinkOut
from shared.timeutil import utcnow

router = APIRouter(tags=["pages"])

ASSETS = "/pages/assets"
IMMUTABLE = "public, max-age=31536000, immutable"
# Nothing from another origin, no script at all: a page shows data and links to its
# siblings. SVG colours are attributes, so no inline style is needed either.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HTML: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The page as HTML (UTF-8), with its charts as inline SVG; prints on A4",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}
PAGES = ", ".join(f"`{p.value}`" for p in PageName)
LANG = Query(description="`zh-CN` or `en`; default: the workspace's `language`")
Lang = Annotated[Literal["zh-CN", "en"] | None, LANG]
Token = Annotated[
    str, Path(min_length=1, max_length=200, description="The share link's token (`cos_...`)")
]


async def current_time() -> datetime:
    """The clock pages and links are judged by (tests put theirs in its place)."""
    return utcnow()


Now = Annotated[datetime, Depends(current_time)]


def _stylesheet_url(request: Request) -> str:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return f"{root}{ASSETS}/{render.stylesheet()[0]}"


def _html(rendered: Rendered, *, shared_link: bool) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # a share link's token is in the URL
        "Cache-Control": "private, no-store",
        "Content-Language": "zh-CN" if rendered.language == "zh" else "en",
        "Server-Timing": f"data;dur={rendered.data_ms:.1f}, render;dur={rendered.render_ms:.1f}",
    }
    if shared_link:
        headers["X-Robots-Tag"] = "noindex, nofollow"
    return HTMLResponse(rendered.html, headers=headers)


async def _page(
    session: DbSession,
    request: Request,
    campaign: Campaign,
    page: PageName,
    now: datetime,
    lang: Literal["zh-CN", "en"] | None,
    *,
    shared_link: bool,
) -> HTMLResponse:
    rendered = await render_page(
        session,
        campaign=campaign,
        page=page,
        now=now,
        language=None if lang is None else "en" if lang == "en" else "zh",
        shared_link=shared_link,
        stylesheet_url=_stylesheet_url(request),
    )
    return _html(rendered, shared_link=shared_link)


@router.get(
    "/v1/campaigns/{campaign_id}/pages/{page}",
    summary="A page of the campaign, as HTML",
    description=f"One of {PAGES}: the campaign report (goal progress with the pace line, key "
    "metrics per channel, budget burn by category and channel against the approved "
    "baseline, the Gantt with the critical path, alerts and issues on a timeline), the "
    "evaluation report, the proposal form with its approval rounds and signatures, the "
    "settlement and the retrospective. Charts are inline SVG; nothing is loaded from "
    "another origin and the page runs no script. Print it (A4) for a PDF. "
    "`Server-Timing` says how long gathering and rendering took.",
    response_class=HTMLResponse,
    responses=HTML | problem_responses(404, 409, 422),
)
async def get_campaign_page(
    page: PageName,
    campaign: ReadableCampaign,
    session: DbSession,
    request: Request,
    now: Now,
    lang: Lang = None,
) -> HTMLResponse:
    return await _page(session, request, campaign, page, now, lang, shared_link=False)


@router.get(
    "/pages/s/{token}/{page}",
    summary="A page of the campaign a share link opens, as HTML (no API key)",
    description=f"The same pages ({PAGES}) for whoever holds an active share link, read-"
    "only. A token that is unknown, mistyped, revoked or expired is the same 404 "
    "(`share_link_not_valid`), so a guess learns nothing. Sent with `Referrer-Policy: "
    "no-referrer`, `Cache-Control: private, no-store` and a Content-Security-Policy that "
    "allows nothing from another origin.",
    response_class=HTMLResponse,
    responses=HTML | problem_responses(404, 422),
)
async def get_shared_page(
    token: Token,
    page: PageName,
    session: DbSession,
    request: Request,
    now: Now,
    lang: Lang = None,
) -> HTMLResponse:
    campaign = await share_links.resolve(session, token=token, now=now)
    return await _page(session, request, campaign, page, now, lang, shared_link=True)


@router.get(f"{ASSETS}/{{name}}", include_in_schema=False)
async def get_page_stylesheet(name: str) -> Response:
    """The pages' stylesheet under its versioned name (any other name: 404)."""
    versioned, content = render.stylesheet()
    if name != versioned:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    return Response(
        content,
        media_type="text/css",
        headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
    )


# --- share links --------------------------------------------------------------------------------

LINKS = "/v1/campaigns/{campaign_id}/share-links"


@router.post(
    LINKS,
    summary="Create a share link to the campaign's pages (editor); the token is shown once",
    description="A read-only link to the campaign's pages for people without an API key "
    "(`urls`: each page under PUBLIC_BASE_URL). It expires after `expires_in_hours` (1 to "
    "2,160, i.e. 90 days; default 7 days) and can be revoked at any time. Only the "
    "token's hash is stored, so it is in this response only; an Idempotency-Key is "
    "refused (422 `idempotency_not_supported`) as a replay would need the token kept.",
    status_code=status.HTTP_201_CREATED,
    response_model=ShareLinkCreated,
    responses=problem_responses(404, 415, 422),
    dependencies=[NotIdempotent],
)
async def create_share_link(
    body: ShareLinkCreate,
    campaign: ReadableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
    now: Now,
) -> ShareLinkCreated:
    link, token = await share_links.create_link(
        session,
        campaign=campaign,
        actor=caller,
        label=body.label,
        lifetime=timedelta(hours=body.expires_in_hours),
        now=now,
    )
    response.headers["Location"] = f"/v1/campaigns/{campaign.id}/share-links/{link.id}"
    response.headers["Cache-Control"] = "no-store"
    return ShareLinkCreated(
        **ShareLinkOut.of(link, now).model_dump(),
        token=token,
        urls={page.value: share_links.page_url(token, page.value) for page in PageName},
    )


@router.get(
    LINKS,
    summary="The campaign's share links, oldest first",
    response_model=Page[ShareLinkOut],
    responses=problem_responses(400, 404, 422),
)
async def list_share_links(
    campaign: ReadableCampaign,
    session: DbSession,
    page: Pagination,
    now: Now,
    active: Annotated[
        bool | None, Query(description="Only active links (true), or revoked and expired (false)")
    ] = None,
) -> Page[ShareLinkOut]:
    results = await share_links.list_links(
        session, campaign=campaign, page=page, active=active, now=now
    )
    return Page[ShareLinkOut](
        items=[ShareLinkOut.of(link, now) for link in results.items],
        next_cursor=results.next_cursor,
    )


@router.get(
    LINKS + "/{link_id}",
    summary="A share link of the campaign",
    response_model=ShareLinkOut,
    responses=problem_responses(404, 422),
)
async def get_share_link(
    link_id: uuid.UUID, campaign: ReadableCampaign, session: DbSession, now: Now
) -> ShareLinkOut:
    link = await share_links.get_link(session, campaign=campaign, link_id=link_id)
    return ShareLinkOut.of(link, now)


@router.post(
    LINKS + "/{link_id}/revoke",
    summary="Revoke a share link (editor); its pages answer 404 at once",
    response_model=ShareLinkOut,
    responses=problem_responses(404, 422),
)
async def revoke_share_link(
    link_id: uuid.UUID, campaign: ReadableCampaign, session: DbSession, caller: Editor, now: Now
) -> ShareLinkOut:
    link = await share_links.get_link(session, campaign=campaign, link_id=link_id)
    link = await share_links.revoke_link(session, link=link, actor=caller, now=now)
    return ShareLinkOut.of(link, now)
