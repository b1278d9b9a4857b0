"""A campaign's page as HTML: gather its view model from the domains, then render it.

Each page is timed in two parts (gathering the data, rendering the HTML) so that the
API can say where a slow page spends its time (`Server-Timing`).
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.report_pages import documents, render, report
from shared.report_pages.labels import Language
from shared.workspaces import service as workspaces
from shared.workspaces.models import Language as WorkspaceLanguage


class PageName(StrEnum):
    report = "report"
    evaluation = "evaluation"
    proposal = "proposal"
    settlement = "settlement"
    retrospective = "retrospective"


Gather = Callable[..., Awaitable[Any]]
GATHER: dict[PageName, Gather] = {
    PageName.report: report.report_page,
    PageName.evaluation: documents.evaluation_page,
    PageName.proposal: documents.proposal_page,
    PageName.settlement: documents.settlement_page,
    PageName.retrospective: documents.retrospective_page,
}


# `?lang=` takes the workspace's values for its language.
LANG_PARAMETER: dict[Language, str] = {"zh": "zh-CN", "en": "en"}


@dataclass(frozen=True)
class Rendered:
    html: str
    language: Language
    data_ms: float  # gathering the view model (the database's share)
    render_ms: float  # the template


async def page_language(
    session: AsyncSession, *, campaign: Campaign, requested: Language | None
) -> Language:
    """The language asked for, else the workspace's (what its people read)."""
    if requested is not None:
        return requested
    workspace = await workspaces.get_workspace(session, workspace_id=campaign.workspace_id)
    return "en" if workspace.language == WorkspaceLanguage.en else "zh"


async def render_page(
    session: AsyncSession,
    *,
    campaign: Campaign,
    page: PageName,
    now: datetime,
    language: Language | None,
    shared_link: bool,
    stylesheet_url: str,
) -> Rendered:
    """The page; its navigation links the other pages by relative URL, so the same HTML
    works under the API key's path and under a share link's."""
    started = time.perf_counter()
    chosen = await page_language(session, campaign=campaign, requested=language)
    view = await GATHER[page](session, campaign=campaign, now=now)
    gathered = time.perf_counter()
    suffix = f"?lang={LANG_PARAMETER[language]}" if language else ""
    html = render.render(
        f"{page.value}.html",
        page=view,
        language=chosen,
        nav=[(name.value, f"{name.value}{suffix}") for name in PageName],
        current=page.value,
        shared_link=shared_link,
        stylesheet_url=stylesheet_url,
    )
    done = time.perf_counter()
    return Rendered(html, chosen, (gathered - started) * 1000, (done - gathered) * 1000)
