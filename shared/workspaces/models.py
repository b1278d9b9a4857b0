import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.actor import Role
from shared.db import Base, Entity, WorkspaceScoped, str_enum


class Language(StrEnum):
    """What people of the workspace read: export headers, page labels. Chinese by default,
    as the manuals are."""

    zh_cn = "zh-CN"
    en = "en"


class Workspace(Base, Entity):
    """A tenant: every other row belongs to exactly one workspace."""

    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    language: Mapped[Language] = mapped_column(
        str_enum(Language, length=8), default=Language.zh_cn, server_default=Language.zh_cn.value
    )


class Member(Base, WorkspaceScoped):
    """A person of the workspace; later domains assign owners and approvers from members."""

    __tablename__ = "members"
    # Emails are stored lower-cased, so this also refuses case variants.
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    department: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))


class ApiKey(Base, WorkspaceScoped):
    """A bearer key. Only its SHA-256 is stored; `prefix` identifies it in lists and logs."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    role: Mapped[Role] = mapped_column(str_enum(Role, length=16))
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
