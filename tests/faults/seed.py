"""A workspace of its own per scenario: an active campaign on two channels, a signing
integration, an API key, rules that fire and a receiver for their alerts."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

import shared.models  # noqa: F401 - every model mapped (foreign keys resolve)
from shared.actor import Role
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.db import create_engine
from shared.figures.models import CampaignChannel, Channel
from shared.integrations import service as integrations
from shared.metrics import service as metric_dictionary
from shared.notifications import endpoints, urls
from shared.rules.models import Condition, Rule, Severity
from shared.workspaces import api_keys
from shared.workspaces import service as workspaces_service

CHANNELS = ("search", "social")


@dataclass(frozen=True)
class Scenario:
    workspace_id: uuid.UUID
    campaign_id: uuid.UUID
    registration_number: str
    integration_id: str
    secret: str
    api_key: str


async def seed(
    database_url: str,
    *,
    name: str,
    now: datetime,
    thresholds: dict[str, int] | None = None,
    receiver_url: str | None = None,
) -> Scenario:
    """`thresholds`: a workspace rule per metric, firing once its total over the last 30
    days passes the value; `receiver_url`: an endpoint taking their `alert.fired`."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace = await workspaces_service.create_workspace(
                session, name=name, default_timezone="UTC", default_currency="CNY"
            )
            await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
            number = f"CMP-{now.year}-{uuid.uuid4().int % 10_000:04d}"
            campaign = Campaign(
                workspace_id=workspace.id,
                name=f"{name} campaign",
                kind=CampaignKind.other,
                status=CampaignStatus.active,
                registration_number=number,
                timezone="UTC",
                currency="CNY",
                start_date=(now - timedelta(days=20)).date(),
                end_date=(now + timedelta(days=20)).date(),
            )
            channels = [Channel(workspace_id=workspace.id, key=k, name=k) for k in CHANNELS]
            session.add_all([campaign, *channels])
            await session.flush()
            session.add_all(
                CampaignChannel(
                    workspace_id=workspace.id, campaign_id=campaign.id, channel_id=channel.id
                )
                for channel in channels
            )
            integration = await integrations.create_integration(
                session, workspace_id=workspace.id, data={"name": name, "kind": "ad_platform"}
            )
            _, token = await api_keys.create_api_key(
                session, workspace_id=workspace.id, name="viewer", role=Role.viewer
            )
            session.add_all(
                Rule(
                    workspace_id=workspace.id,
                    name=f"{metric} above {value}",
                    condition=Condition.threshold,
                    params={
                        "metric": metric,
                        "op": ">",
                        "value": str(value),
                        "window": "trailing",
                        "hours": 720,
                    },
                    severity=Severity.critical,
                    hold_minutes=0,
                    hold_evaluations=1,
                    auto_resolve=False,
                    clear_minutes=0,
                    opens_issue=False,
                    labels={},
                    enabled=True,
                )
                for metric, value in (thresholds or {}).items()
            )
            if receiver_url is not None:
                await endpoints.create_endpoint(
                    session,
                    workspace_id=workspace.id,
                    data={
                        "name": "Ops",
                        "url": receiver_url,
                        "format": "webhook",
                        "event_kinds": ["alert.fired"],
                    },
                    allowed=urls.parse_networks("127.0.0.0/8"),
                )
            await session.flush()
            await session.close()
        return Scenario(
            workspace.id, campaign.id, number, str(integration.id), integration.secret, token
        )
    finally:
        await engine.dispose()


def hours_ago(now: datetime, hours: int) -> str:
    """A bucket inside the campaign and the late-data window (the live processes read the
    real clock, so points are placed relative to it)."""
    at = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)
    return at.isoformat()
