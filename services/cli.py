"""`campaignops`: run the stack, migrate, manage workspaces and API keys."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import migrate
from shared.actor import Role
from shared.config import Settings, get_settings
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.embedded import EmbeddedPostgres, EmbeddedServerError
from shared.errors import DomainError
from shared.jobs import DiscardingJobQueue
from shared.metrics import service as metric_dictionary
from shared.workspaces import api_keys, service
from shared.workspaces.models import ApiKey, Workspace
from shared.workspaces.schemas import WorkspaceCreate

app = typer.Typer(no_args_is_help=True, help=__doc__)
workspace_app = typer.Typer(no_args_is_help=True, help="Workspaces (tenants).")
api_key_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(workspace_app, name="workspace")
app.add_typer(api_key_app, name="api-key")

T = TypeVar("T")


def _database_url(settings: Settings) -> str:
    """DATABASE_URL, or the dev stack's embedded server when it is unset."""
    if settings.database_url:
        return settings.database_url
    try:
        server = EmbeddedPostgres(settings.data_dir / "postgres", settings.embedded_postgres_port)
    except EmbeddedServerError:  # an image: no embedded servers (the `embedded` extra)
        _fail("DATABASE_URL is not set")
    return server.url("campaignops")


def _fail(message: str) -> NoReturn:
    """One clear line on stderr and exit status 2, as for a bad option."""
    typer.echo(f"campaignops: {message}", err=True)
    raise typer.Exit(2)


def _refused(exc: ValidationError, options: dict[str, tuple[str, str]]) -> NoReturn:
    """The first invalid field, named by its option and as typed, the way the API says it."""
    error = exc.errors()[0]
    option, typed = options[str(error["loc"][0])]
    _fail(f"{option} {typed!r}: {str(error['msg']).removeprefix('Value error, ')}")


def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(_database_url(get_settings()), pool_size=1, max_overflow=0)
        try:
            async with unit_of_work(create_sessionmaker(engine), DiscardingJobQueue()) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except OSError as exc:
        _fail(f"cannot reach the database ({exc}); start `./dev run` or set DATABASE_URL")
    except DomainError as exc:
        _fail(exc.detail)


@app.command()
def dev() -> None:
    """Run the whole stack (embedded servers when the URLs are unset) until Ctrl-C."""
    from services.devstack import DevStack  # noqa: PLC0415 - each command loads its own stack

    raise typer.Exit(DevStack(get_settings()).run())


@app.command()
def api() -> None:
    """Run the API server (uvicorn) on API_HOST:API_PORT."""
    import uvicorn  # noqa: PLC0415 - each command loads its own stack

    settings = get_settings()
    uvicorn.run(
        "services.api.app:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


@app.command()
def worker() -> None:
    """Run one arq worker; it waits out Redis outages."""
    import uvloop  # noqa: PLC0415 - each command loads its own stack

    from services.worker import resilient  # noqa: PLC0415 - each command loads its own stack

    asyncio.set_event_loop(uvloop.new_event_loop())  # as uvicorn runs the API; arq takes it
    resilient.run(get_settings())


@app.command("openapi")
def openapi_command(
    output: Annotated[
        Path | None, typer.Argument(help="File to write; standard output when omitted")
    ] = None,
) -> None:
    """Write the API's OpenAPI document (JSON), as /openapi.json serves it; needs no database."""
    from services.api import contract  # noqa: PLC0415 - each command loads its own stack
    from services.api.app import create_app  # noqa: PLC0415 - each command loads its own stack

    document = contract.dump(create_app(get_settings()).openapi())
    if output is None:
        typer.echo(document, nl=False)
    else:
        output.write_text(document, encoding="utf-8")


@app.command("migrate")
def migrate_command(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
    down: Annotated[bool, typer.Option(help="Downgrade to REVISION instead")] = False,
) -> None:
    """Apply (or revert) database migrations."""
    url = _database_url(get_settings())
    if down:
        migrate.downgrade(url, revision)
    else:
        migrate.upgrade(url, revision)
    typer.echo(f"database at {revision}")


@workspace_app.command("create")
def create_workspace(
    name: str,
    timezone: Annotated[str, typer.Option(help="IANA zone for campaign days")] = "UTC",
    currency: Annotated[str, typer.Option(help="ISO 4217 code")] = "USD",
) -> None:
    """Create a workspace and its first admin API key (printed once)."""
    try:
        wanted = WorkspaceCreate(
            name=name, default_timezone=timezone, default_currency=currency.upper()
        )
    except ValidationError as exc:
        _refused(
            exc,
            {
                "name": ("NAME", name),
                "default_timezone": ("--timezone", timezone),
                "default_currency": ("--currency", currency),
            },
        )

    async def work(session: AsyncSession) -> tuple[Workspace, str]:
        workspace = await service.create_workspace(
            session,
            name=wanted.name,
            default_timezone=wanted.default_timezone,
            default_currency=wanted.default_currency,
        )
        await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
        _, token = await api_keys.create_api_key(
            session, workspace_id=workspace.id, name="first admin", role=Role.admin
        )
        return workspace, token

    workspace, token = _in_transaction(work)
    typer.echo(f"workspace {workspace.slug} ({workspace.id})")
    typer.echo(f"admin API key (shown once): {token}")


@workspace_app.command("list")
def list_workspaces() -> None:
    for workspace in _in_transaction(service.list_workspaces):
        typer.echo(f"{workspace.slug}\t{workspace.id}\t{workspace.name}")


def _by_name_or_id(name: Any, id_column: Any, ref: str) -> Any:
    """Match `ref` against a readable name column, or the id when `ref` is a UUID."""
    try:
        return or_(name == ref, id_column == uuid.UUID(ref))
    except ValueError:
        return name == ref


async def _find_workspace(session: AsyncSession, ref: str) -> Workspace:
    workspace = await session.scalar(
        select(Workspace).where(_by_name_or_id(Workspace.slug, Workspace.id, ref))
    )
    if workspace is None:
        _fail(f"no workspace {ref!r}")
    return workspace


@api_key_app.command("create")
def create_api_key(
    workspace: Annotated[str, typer.Option(help="Workspace slug or id")],
    name: Annotated[str, typer.Option()] = "cli key",
    role: Annotated[Role, typer.Option()] = Role.admin,
) -> None:
    """Create an API key; the secret is printed once."""

    async def work(session: AsyncSession) -> str:
        target = await _find_workspace(session, workspace)
        _, token = await api_keys.create_api_key(
            session, workspace_id=target.id, name=name, role=role
        )
        return token

    typer.echo(_in_transaction(work))


@api_key_app.command("revoke")
def revoke_api_key(
    key: Annotated[str, typer.Argument(help="The key's prefix or id")],
) -> None:
    """Revoke an API key at once."""

    async def work(session: AsyncSession) -> ApiKey:
        found = await session.scalar(
            select(ApiKey).where(_by_name_or_id(ApiKey.prefix, ApiKey.id, key))
        )
        if found is None:
            _fail(f"no API key {key!r}")
        return await api_keys.revoke_api_key(session, api_key=found)

    revoked = _in_transaction(work)
    typer.echo(f"revoked {revoked.prefix} at {revoked.revoked_at}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
