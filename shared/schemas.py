"""Building blocks for every domain's request and response models."""

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, TypeVar, Union

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    TypeAdapter,
    field_validator,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema

BaseModelT = TypeVar("BaseModelT", bound=BaseModel)

# Text limits are explicit; surrounding whitespace never counts.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]


def contains_nul(value: Any) -> bool:
    """PostgreSQL text cannot hold U+0000: such input must be refused, not crash the insert."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    return False


class RequestModel(BaseModel):
    """Unknown fields are refused, so a misspelt field name never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if contains_nul(value):
            raise ValueError("must not contain NUL (\\u0000) characters")
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Money: never negative, at most 2 decimals, 12 digits before the point (NUMERIC(14,2)).
# Normalised on the way in, so a write echoes "120000.00" exactly as a later read does.
MoneyAmount = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    AfterValidator(lambda value: value.quantize(Decimal("0.01"))),
]
# Metric figures: targets and baselines (NUMERIC(20,4)).
Quantity = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=4),
    AfterValidator(lambda value: value.quantize(Decimal("0.0001"))),
]


# Days and instants are ISO 8601 text within the years the service plans and computes in:
# a day such as 9999-12-31 has no next day to compute with, and `0` is not a date (pydantic
# alone would read a number as seconds since 1970).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2199, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ].+")


def _iso_text(pattern: re.Pattern[str], kind: type, shape: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"must be {shape}")
        return value

    return BeforeValidator(check)


def _within_years(value: date | datetime) -> date | datetime:
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


CalendarDay = Annotated[
    date, _iso_text(_ISO_DAY, date, "a date as YYYY-MM-DD"), AfterValidator(_within_years)
]
Instant = Annotated[
    AwareDatetime,
    _iso_text(_ISO_INSTANT, datetime, "a date and time with an offset (2024-06-10T17:00:00+08:00)"),
    AfterValidator(_within_years),
]


# --- documenting a precise shape for a field or a model that a service checks itself ------
#
# Some inputs are read by their domain's own parser, which names each bad field its own way
# (`params.percent`, `levels.0.targets.1`) and stores them as given (a rule's `params`, a
# policy's `levels`); their models keep a plain dict. The OpenAPI document still shows what
# a client sends and reads: the shape `DocumentedAs` names, or for a model whose field
# chooses the shape of another (a rule's `condition` its `params`), one variant per choice
# as a discriminated union (`Variants`). Nothing of this changes what is validated.


@dataclass(frozen=True)
class DocumentedAs:
    """`Annotated` metadata: validated as declared, documented as the type `shown`."""

    shown: Any

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The handler of an annotation writes a schema inline, as a field's own type; the
        # generator behind it gives `shown` its full treatment: a model or an enum becomes a
        # component (and its own hooks, such as `Variants`, run).
        generator = getattr(handler, "generate_json_schema", None)
        if isinstance(generator, GenerateJsonSchema):
            return generator.generate_inner(_core_schema(self.shown))
        return handler(_core_schema(self.shown))


_adapters: dict[Any, TypeAdapter[Any]] = {}


def _core_schema(shown: Any) -> CoreSchema:
    adapter = _adapters.get(shown)
    if adapter is None:
        adapter = _adapters[shown] = TypeAdapter(shown)
    return adapter.core_schema


class Variants:
    """Mixin of a model documented as a discriminated union of its variants: the model's
    class sets `__variants__` (its variants derive from it, so after the class) to
    `one_of(...)`. Its own examples and description stay on the union."""

    __variants__: ClassVar[Any]

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler, /
    ) -> JsonSchemaValue:
        shown = cls.__dict__.get("__variants__")
        if shown is None:  # a variant, or a model without any
            return handler(core_schema)
        schema = dict(handler(_core_schema(shown)))
        config = getattr(cls, "model_config", {})
        extra = config.get("json_schema_extra")
        if isinstance(extra, dict) and "examples" in extra:
            schema["examples"] = extra["examples"]
        schema["title"] = cls.__name__
        if cls.__doc__:
            schema["description"] = inspect.cleandoc(cls.__doc__)
        return schema


def one_of(discriminator: str, variants: Sequence[type[BaseModel]]) -> Any:
    """The union of `variants`, told apart by their `discriminator` field (a Literal)."""
    return Annotated[Union[tuple(variants)], Field(discriminator=discriminator)]  # noqa: UP007


def variant(base: type[BaseModelT], name: str, description: str, **fields: Any) -> type[BaseModelT]:
    """A documentation-only subclass of `base` named `name` with `fields` narrowed: each a
    type, or `(type, Field(...))`. Examples are the union's, not each variant's."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {
        "__module__": base.__module__,
        "__qualname__": name,
        "__doc__": description,
        "__annotations__": annotations,
        "model_config": ConfigDict(json_schema_extra=None, title=name),
    }
    for field, spec in fields.items():
        annotation, info = spec if isinstance(spec, tuple) else (spec, None)
        annotations[field] = annotation
        if info is not None:
            namespace[field] = info
    created: type[BaseModelT] = type(name, (base,), namespace)
    return created


class _Partial:
    """Mixin: every field optional in the document (a PATCH changes only what it sends)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler, /
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        target.pop("required", None)
        for item in target.get("properties", {}).values():
            item.pop("default", None)
        return schema


def partial(base: type[BaseModelT], name: str, description: str) -> type[BaseModelT]:
    """A documentation-only copy of `base` named `name` whose fields are all optional."""
    namespace = {
        "__module__": base.__module__,
        "__qualname__": name,
        "__doc__": description,
        "model_config": ConfigDict(json_schema_extra=None, title=name),
    }
    created: type[BaseModelT] = type(name, (_Partial, base), namespace)
    return created
