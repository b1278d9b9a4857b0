"""Registration numbers: CMP-<year>-<nnnn>, unique per workspace, gap-free per year."""

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.approvals.models import RegistrationCounter

PREFIX = "CMP"


async def next_number(session: AsyncSession, *, workspace_id: uuid.UUID, year: int) -> str:
    """Take the next number. The counter row stays locked until the caller's commit."""
    statement = (
        insert(RegistrationCounter)
        .values(workspace_id=workspace_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[RegistrationCounter.workspace_id, RegistrationCounter.year],
            set_={"last_number": RegistrationCounter.last_number + 1},
        )
        .returning(RegistrationCounter.last_number)
    )
    number = (await session.execute(statement)).scalar_one()
    return f"{PREFIX}-{year}-{number:04d}"
