"""The knowledge base's tables: searchable entries, and what each campaign was indexed from.

Entries are derived rows: a campaign's are deleted and written again, all of them, each
time it is indexed (`index.py`). Each carries its campaign's facets (kind, status, year,
tags, channels, goal outcome) so that a search filters without a join.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from shared.campaigns.models import CampaignKind, CampaignStatus
from shared.db import Base, WorkspaceScoped, str_enum


class EntryKind(StrEnum):
    """What a hit is: the campaign itself or one of the things it holds."""

    campaign = "campaign"  # name, background, objective, audience, core message
    goal = "goal"  # metric, strategy, notes
    evaluation = "evaluation"  # a goal's analysis: cause, analysis, improvement proposal
    retrospective_item = "retrospective_item"
    issue = "issue"  # title, description, impact, action plan
    log_note = "log_note"  # stand-ups, decisions, blockers... of the execution log
    change_request = "change_request"  # title, each change's reason and expected effect
    attachment = "attachment"  # an expense's file name
    review = "review"  # the notes of a stand-up, weekly, mid-term or final review


class GoalOutcome(StrEnum):
    """The campaign's goals in its latest finalised evaluation."""

    met = "met"  # every measured goal met (at least one)
    missed = "missed"  # at least one goal missed


class KnowledgeEntry(Base, WorkspaceScoped):
    __tablename__ = "knowledge_entries"
    __table_args__ = (
        Index("ix_knowledge_entries_search", "search_vector", postgresql_using="gin"),
        # The newest campaigns first, when a query matches more entries than are ranked.
        Index("ix_knowledge_entries_recency", "workspace_id", "campaign_day", "id"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind))
    source_id: Mapped[uuid.UUID]  # the row the entry was made of (the campaign's own id)
    href: Mapped[str] = mapped_column(String(300))  # the API path of that row
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    search_vector: Mapped[str] = mapped_column(TSVECTOR)
    # The campaign, as it was when indexed.
    campaign_name: Mapped[str] = mapped_column(String(200))
    campaign_kind: Mapped[CampaignKind] = mapped_column(str_enum(CampaignKind))
    campaign_status: Mapped[CampaignStatus] = mapped_column(str_enum(CampaignStatus))
    campaign_year: Mapped[int | None] = mapped_column(Integer)
    campaign_day: Mapped[date]  # its end (else start, else creation) day: recency
    campaign_tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    campaign_channels: Mapped[list[str]] = mapped_column(ARRAY(String(100)))
    goal_outcome: Mapped[GoalOutcome | None] = mapped_column(str_enum(GoalOutcome, length=16))


class IndexedCampaign(Base, WorkspaceScoped):
    """When a campaign was indexed, and what of its history the index had seen then.

    The execution log is append-only and records every change to what is indexed
    (`log_count`: its entries since `log_since`); expense attachments are not logged, so
    their count and newest time are kept too. A campaign whose figures differ now is
    indexed again by the worker's sweep.
    """

    __tablename__ = "knowledge_campaigns"
    __table_args__ = (UniqueConstraint("campaign_id"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    indexed_at: Mapped[datetime]
    log_since: Mapped[datetime]
    log_count: Mapped[int] = mapped_column(Integer)
    attachment_count: Mapped[int] = mapped_column(Integer)
    attachment_latest: Mapped[datetime | None]
    entry_count: Mapped[int] = mapped_column(Integer)
