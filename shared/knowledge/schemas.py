"""Bodies of the knowledge base: hits with their snippets and campaign, a page of them."""

# ruff: noqa: RUF001 - the examples' Chinese text uses full-width punctuation

import uuid

from pydantic import ConfigDict, Field, JsonValue

from shared.campaigns.models import CampaignKind, CampaignStatus
from shared.knowledge.models import EntryKind
from shared.knowledge.ranking import RANKED
from shared.knowledge.search import Found, Hit
from shared.schemas import ResponseModel

_CAMPAIGN = "01a2010c-3bd9-7716-be78-ba040ba1a6e8"
_ITEM = "01a20111-7a3e-7c21-9d0e-5b4c3a2f1e10"

SAMPLE_HIT: dict[str, JsonValue] = {
    "kind": "retrospective_item",
    "source_id": _ITEM,
    "href": f"/v1/campaigns/{_CAMPAIGN}/retrospective/items/{_ITEM}",
    "rank": 0.0759,
    "title": "线下快闪店",
    "title_html": "线下<mark>快闪店</mark>",
    "snippet": "上海线下快闪店客流不足，日均 500 人，目标 800。",
    "snippet_html": "上海线下<mark>快闪店</mark>客流不足，日均 500 人，目标 800。",
    "highlights": [{"start": 4, "end": 7}],
    "campaign": {
        "id": _CAMPAIGN,
        "name": "2024 618 夏季防晒霜新品上市",
        "kind": "promotion",
        "status": "archived",
        "year": 2024,
    },
}


class HighlightOut(ResponseModel):
    start: int = Field(description="Offset of the match's first character in `snippet`")
    end: int = Field(description="Offset just past its last character")


class KnowledgeCampaignOut(ResponseModel):
    """The campaign the hit belongs to, as it was when last indexed."""

    id: uuid.UUID
    name: str
    kind: CampaignKind
    status: CampaignStatus
    year: int | None = Field(description="Of its start date (else end date, else creation)")


class KnowledgeHitOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_HIT]})

    kind: EntryKind = Field(description="What was found: the campaign or one of its things")
    source_id: uuid.UUID = Field(
        description="Id of what was found (the campaign's own id for `campaign`; the log "
        "entry's for `log_note`, the analysis's for `evaluation`)"
    )
    href: str = Field(description="The API path to read it (a log note: the campaign's log)")
    rank: float = Field(description="Relevance: higher is better (titles weigh more)")
    title: str
    title_html: str = Field(description="`title` escaped for HTML, matches in <mark>...</mark>")
    snippet: str = Field(
        description="Up to 160 characters of the text around its first match, `…` where cut "
        "(plain text, as written: escape it yourself)"
    )
    snippet_html: str = Field(
        description="`snippet` escaped for HTML, each match in <mark>...</mark>: safe to "
        "insert into a page as it is"
    )
    highlights: list[HighlightOut] = Field(
        description="The matches in `snippet`, as character (code point) offsets"
    )
    campaign: KnowledgeCampaignOut

    @classmethod
    def of(cls, hit: Hit) -> "KnowledgeHitOut":
        return cls(
            kind=hit.kind,
            source_id=hit.source_id,
            href=hit.href,
            rank=round(hit.rank, 6),
            title=hit.title,
            title_html=hit.title_html,
            snippet=hit.snippet,
            snippet_html=hit.snippet_html,
            highlights=[HighlightOut(start=a, end=b) for a, b in hit.highlights],
            campaign=KnowledgeCampaignOut(
                id=hit.campaign_id,
                name=hit.campaign_name,
                kind=hit.campaign_kind,
                status=hit.campaign_status,
                year=hit.campaign_year,
            ),
        )


class KnowledgeResultsOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [SAMPLE_HIT], "next_cursor": None, "ranked": 1, "capped": False}]
        }
    )

    items: list[KnowledgeHitOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same query and filters) for the next page; "
        "null on the last page."
    )
    ranked: int = Field(description=f"Hits ranked for this search: at most {RANKED:,}")
    capped: bool = Field(
        description=f"More than {RANKED:,} entries matched: only those of the most recent "
        "campaigns were ranked. Add a word or a filter to narrow the search."
    )

    @classmethod
    def of(cls, found: Found) -> "KnowledgeResultsOut":
        return cls(
            items=[KnowledgeHitOut.of(hit) for hit in found.items],
            next_cursor=found.next_cursor,
            ranked=found.ranked,
            capped=found.capped,
        )
