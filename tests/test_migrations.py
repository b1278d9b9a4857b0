"""The Alembic migrations build exactly the schema the models describe, both ways."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared import migrate
from shared.metrics.standard import STANDARD_METRICS
from shared.models import Base


async def _inspect(url: str, fn):
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _drift(connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_downgrade_upgrade_without_drift(empty_database_url):
    url = empty_database_url
    await asyncio.to_thread(migrate.upgrade, url)
    assert await _inspect(url, _drift) == []
    assert {t.name for t in Base.metadata.sorted_tables} <= await _inspect(url, _tables)

    await asyncio.to_thread(migrate.downgrade, url, "base")
    assert await _inspect(url, _tables) == {"alembic_version"}

    await asyncio.to_thread(migrate.upgrade, url)
    assert await _inspect(url, _drift) == []


def test_one_head_and_date_named_files():
    assert migrate.head_revision() is not None
    for path in (migrate.MIGRATIONS_DIR / "versions").glob("*.py"):
        assert path.name[:9].removesuffix("_").isdigit(), path.name
        assert path.name[8] == "_", path.name


async def test_workspaces_made_before_the_dictionary_get_the_standard_one(empty_database_url):
    url = empty_database_url
    await asyncio.to_thread(migrate.upgrade, url, "b5e88a8ed6c1")  # before the dictionary
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO workspaces (id, name, slug, default_timezone, default_currency, "
                    "version) VALUES (gen_random_uuid(), 'Old', 'old', 'UTC', 'USD', 1)"
                )
            )
        await asyncio.to_thread(migrate.upgrade, url)
        async with engine.connect() as connection:
            keys = set((await connection.execute(text("SELECT key FROM metrics"))).scalars())
    finally:
        await engine.dispose()
    assert keys == {m["key"] for m in STANDARD_METRICS}
