"""What a client sees of a period whose hourly points are gone: days, weeks and months
as before (from the rollups); hours refused with a code naming `from`."""

from datetime import datetime, timedelta

from shared.actor import Role
from shared.figures import partitions, retention
from shared.figures.partitions import Month
from shared.timeutil import utcnow
from tests.figures_partitions.data import SHANGHAI, at, campaign_with_channel, write_hours
from tests.helpers import assert_problem


async def test_old_periods_read_from_days_and_refuse_hours(client, session, settings, tenant):
    await partitions.ensure(session, months=[Month(2024, 5)])
    campaign, channel = await campaign_with_channel(session, tenant.workspace_id)
    await write_hours(session, campaign, channel, metric="clicks", start=at(2024, 5, 6), hours=48)
    days = settings.hourly_points_retention_days
    assert Month(2024, 5) in await retention.drop_old_hours(session, now=utcnow(), days=days)
    await session.commit()  # the test's savepoint: the API's session sees it

    async def series(**params: str):
        return await client.get(
            f"/v1/campaigns/{campaign.id}/series",
            params={"metric": "clicks", **params},
            headers=tenant.auth(Role.viewer),
        )

    month = {
        "from": datetime(2024, 5, 1, tzinfo=SHANGHAI).isoformat(),
        "to": datetime(2024, 6, 1, tzinfo=SHANGHAI).isoformat(),
    }
    by_week = await series(granularity="week", **month)
    assert by_week.status_code == 200, by_week.text
    assert sum(int(float(p["value"])) for p in by_week.json()["total"]) == 48

    hours = {"from": at(2024, 5, 6).isoformat(), "to": at(2024, 5, 7).isoformat()}
    for params in ({"granularity": "hour", **hours}, {"granularity": "day", **hours}):
        refused = await series(**params)
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["type"]) for e in problem["errors"]] == [
            ("from", "beyond_hourly_retention")
        ]

    recent = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    window = {"from": recent.isoformat(), "to": (recent + timedelta(hours=3)).isoformat()}
    assert (await series(granularity="hour", **window)).status_code == 200
