"""The channel history's derived tables: each finished campaign's figures per channel, as
its evaluation computes them, kept so that a history over years adds up a few thousand
rows instead of millions of day rollups.

Both are derived rows, written again whole each time a campaign is totalled
(`totals.py`): when it completes or is archived, and by the worker's sweep when its
expenses, its late figures or the dictionary's ROI and conversion rate changed since.
"""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped


class TotalledCampaign(Base, WorkspaceScoped):
    """When a campaign's channels were totalled, and what could have changed them since.

    `dictionary` fingerprints the metric definitions the figures were computed with (the
    ROI, the conversion rate, the money and sample metrics and everything they read): a
    history read with another dictionary computes the campaign live instead. Expenses
    are logged (the execution log, in the transaction of the change): `expense_changes`
    counts their entries since `expenses_since`, as in the knowledge base. Figures can
    arrive until the late-data window closes (`shared.ingestion.apply`); until a totalling
    ran after that, `figures_final` is false and every sweep totals the campaign again.
    """

    __tablename__ = "channel_history_campaigns"
    __table_args__ = (UniqueConstraint("campaign_id"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    totalled_at: Mapped[datetime]
    dictionary: Mapped[str] = mapped_column(String(64))
    expenses_since: Mapped[datetime]
    expense_changes: Mapped[int] = mapped_column(Integer)
    figures_final: Mapped[bool] = mapped_column(Boolean)
    channel_count: Mapped[int] = mapped_column(Integer)


class ChannelTotals(Base):
    """One finished campaign's figures on one channel (`rules.CampaignChannel`).

    Unconstrained NUMERIC: each figure keeps the scale it was computed with (money to the
    cent, pushed counts to 6 decimals, ratios to 4), so the history reads the same whether
    a campaign was totalled or computed live. `roi_inputs` and `rate_inputs` hold the base
    figures the dictionary's ROI and conversion rate read, in the order of their sorted
    keys (fixed by `TotalledCampaign.dictionary`).
    """

    __tablename__ = "channel_history_totals"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    spend_source: Mapped[str] = mapped_column(String(16))
    spend: Mapped[Decimal | None] = mapped_column(Numeric)
    expenses: Mapped[Decimal | None] = mapped_column(Numeric)
    pushed_spend: Mapped[Decimal | None] = mapped_column(Numeric)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric)
    clicks: Mapped[Decimal | None] = mapped_column(Numeric)
    conversions: Mapped[Decimal | None] = mapped_column(Numeric)
    roi: Mapped[Decimal | None] = mapped_column(Numeric)
    cpa: Mapped[Decimal | None] = mapped_column(Numeric)
    conversion_rate: Mapped[Decimal | None] = mapped_column(Numeric)
    roi_inputs: Mapped[list[Decimal | None]] = mapped_column(ARRAY(Numeric))
    rate_inputs: Mapped[list[Decimal | None]] = mapped_column(ARRAY(Numeric))
