"""Which matches are ranked, and pages of them, with the thresholds made small: five
entries ranked at most, a probe of the four most recent, a walk of eight.

Three campaigns (2022, 2023, 2024) of four entries each; which entries say 直播 decides
the path a search takes: the walk (many match among the most recent), the GIN index
(few match), or the walk's matches completed by the index's (many match, but not among
the most recent).
"""

import uuid
from datetime import date

import pytest

from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.knowledge import index, ranking
from shared.knowledge.models import EntryKind
from shared.knowledge.search import Filters, search
from shared.knowledge.sources import Draft, Facets
from shared.pagination import PageRequest
from shared.timeutil import utcnow
from tests.helpers import Tenant

YEARS = (2022, 2023, 2024)


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranking, "RANKED", 5)
    monkeypatch.setattr(ranking, "PROBE", 4)
    monkeypatch.setattr(ranking, "DENSE", 2)
    monkeypatch.setattr(ranking, "WALK", 8)


async def archive(session, tenant: Tenant, said: dict[int, list[bool]]) -> dict[int, uuid.UUID]:
    """A campaign a year, each of four entries saying 直播 or not; their ids by year."""
    ids = {}
    for year in YEARS:
        campaign = Campaign(
            workspace_id=tenant.workspace_id,
            name=f"{year} 夏季上市",
            kind=CampaignKind.promotion,
            status=CampaignStatus.archived,
            timezone="Asia/Shanghai",
            currency="CNY",
        )
        session.add(campaign)
        await session.flush()
        drafts = [
            Draft(
                EntryKind.log_note,
                uuid.uuid4(),
                f"/v1/campaigns/{campaign.id}/log",
                "standup",
                f"第 {n} 条 " + ("直播间客流" if says else "门店客流"),
            )
            for n, says in enumerate(said[year])
        ]
        facets = Facets(
            campaign.name,
            CampaignKind.promotion,
            CampaignStatus.archived,
            year,
            date(year, 6, 18),
            [],
            [],
            None,
        )
        await index.write_entries(
            session, campaign=campaign, facets=facets, drafts=drafts, now=utcnow()
        )
        ids[year] = campaign.id
    return ids


async def found(session, tenant: Tenant, limit: int = 20, cursor: str | None = None):
    return await search(
        session,
        workspace_id=tenant.workspace_id,
        q="直播",
        filters=Filters(),
        page=PageRequest(limit=limit, cursor=cursor),
    )


def years_of(result, ids: dict[int, uuid.UUID]) -> list[int]:
    by_id = {campaign_id: year for year, campaign_id in ids.items()}
    return sorted(by_id[hit.campaign_id] for hit in result.items)


async def test_many_recent_matches_rank_the_most_recent(session, tenant: Tenant):
    ids = await archive(session, tenant, {year: [True] * 4 for year in YEARS})
    result = await found(session, tenant)
    assert (result.ranked, result.capped) == (5, True)
    assert years_of(result, ids) == [2023, 2024, 2024, 2024, 2024]


async def test_few_matches_are_all_ranked(session, tenant: Tenant):
    ids = await archive(
        session,
        tenant,
        {2022: [True, False, False, False], 2023: [False, True, False, False], 2024: [False] * 4},
    )
    result = await found(session, tenant)
    assert (result.ranked, result.capped) == (2, False)
    assert years_of(result, ids) == [2022, 2023]


async def test_many_older_matches_complete_the_recent_ones(session, tenant: Tenant):
    # One match among the four most recent entries: too few to walk on; the index
    # finds seven, which are more than five: the recent one first, then four others.
    ids = await archive(
        session,
        tenant,
        {2022: [True] * 4, 2023: [True, True, False, False], 2024: [True, False, False, False]},
    )
    result = await found(session, tenant)
    assert (result.ranked, result.capped) == (5, True)
    assert 2024 in years_of(result, ids)


async def test_pages_of_two_walk_the_same_ranking(session, tenant: Tenant):
    await archive(session, tenant, {year: [True] * 4 for year in YEARS})
    whole = await found(session, tenant)
    walked, cursor = [], None
    while True:
        page = await found(session, tenant, limit=2, cursor=cursor)
        walked += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [hit.id for hit in walked] == [hit.id for hit in whole.items]
    assert len(walked) == 5
