"""Open alerts across every workspace, for operators (the API's /metrics/cluster).

Read through the open-fingerprint index, whose predicate (`status <> 'resolved'`) is the
query's: resolved alerts, the long tail, are never visited.
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert, AlertStatus


async def open_alerts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Counts by (status, severity) of pending, firing and acknowledged alerts."""
    rows = (
        await session.execute(
            select(Alert.status, Alert.severity, func.count())
            .where(Alert.status != AlertStatus.resolved)
            .group_by(Alert.status, Alert.severity)
        )
    ).all()
    return {(str(status), str(severity)): count for status, severity, count in rows}
