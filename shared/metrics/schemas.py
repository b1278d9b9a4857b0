import uuid
from datetime import datetime
from typing import Annotated

from pydantic import MISSING, ConfigDict, Field, StringConstraints, computed_field

from shared.metrics.models import Aggregation, Unit
from shared.schemas import LongText, Name, RequestModel, ResponseModel

MetricKey = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$"),
    Field(description="Lower case, digits and _; what goals and data points name"),
]
Formula = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    Field(description="Other metric keys with + - * / and parentheses, e.g. clicks / impressions"),
]


class MetricCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "store_conversion",
                    "name": "Store conversion",
                    "unit": "ratio",
                    "aggregation": "average",
                    "formula": "orders / visitors",
                    "description": "Orders per visitor at the pop-up store",
                },
                {"key": "koc_posts", "name": "KOC posts", "unit": "count", "aggregation": "sum"},
            ]
        }
    )

    key: MetricKey
    name: Name
    unit: Unit
    aggregation: Aggregation = Aggregation.sum
    description: LongText | None = None
    formula: Formula | None = Field(default=None, description="Set for a derived metric")


class MetricUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "CTR"}]})

    name: Name | MISSING = MISSING
    unit: Unit | MISSING = MISSING
    aggregation: Aggregation | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    formula: Formula | MISSING | None = MISSING


class MetricOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "key": "ctr",
                    "name": "Click-through rate",
                    "unit": "ratio",
                    "aggregation": "average",
                    "description": "Clicks per impression.",
                    "formula": "clicks / impressions",
                    "derived": True,
                    "created_at": "2024-04-18T08:00:00Z",
                    "updated_at": "2024-04-18T08:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    key: str
    name: str
    unit: Unit
    aggregation: Aggregation
    description: str | None
    formula: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @computed_field(description="Computed from a formula (a ratio of aggregates per bucket)")  # type: ignore[prop-decorator]
    @property
    def derived(self) -> bool:
        return self.formula is not None
