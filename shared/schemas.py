"""Building blocks for every domain's request and response models."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# Text limits are explicit; surrounding whitespace never counts.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]


class RequestModel(BaseModel):
    """Unknown fields are refused, so a misspelt field name never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
