"""Sending systems (ad platforms, social apps, shops, store counters) and their secrets."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum


class IntegrationKind(StrEnum):
    ad_platform = "ad_platform"
    social_app = "social_app"
    ecommerce = "ecommerce"
    store_counter = "store_counter"
    other = "other"


class IntegrationStatus(StrEnum):
    active = "active"
    disabled = "disabled"


class Integration(Base, WorkspaceScoped):
    """Signs what it sends with a Standard Webhooks secret (`whsec_...`).

    HMAC needs the secret itself, so it is stored (never shown again after creation or
    rotation). During a rotation the previous secret verifies until `previous_expires_at`.
    """

    __tablename__ = "integrations"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[IntegrationKind] = mapped_column(str_enum(IntegrationKind))
    status: Mapped[IntegrationStatus] = mapped_column(
        str_enum(IntegrationStatus), default=IntegrationStatus.active
    )
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_expires_at: Mapped[datetime | None]
    secret_rotated_at: Mapped[datetime | None]
