"""The `campaignops` command: workspaces and keys made from the shell work in the API."""

import asyncio
import os
import re
import sys
import time

import pytest

pytestmark = pytest.mark.committed


async def run_cli(settings, *args: str) -> tuple[int | None, str, str]:
    env = os.environ | {"DATABASE_URL": settings.database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await process.communicate()
    return process.returncode, output.decode(), errors.decode()


async def cli(settings, *args: str) -> str:
    status, output, errors = await run_cli(settings, *args)
    assert status == 0, output + errors
    return output


async def test_workspace_created_from_the_shell_answers_with_its_key(settings, client):
    output = await cli(
        settings,
        "workspace",
        "create",
        "618 festival team",
        "--timezone",
        "Asia/Shanghai",
        "--currency",
        "cny",
    )
    token_match = re.search(r"(cok_\S+)", output)
    slug_match = re.search(r"workspace (\S+)", output)
    assert token_match
    assert slug_match
    token, slug = token_match.group(1), slug_match.group(1)
    response = await client.get("/v1/workspace", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["slug"] == slug
    assert response.json()["default_currency"] == "CNY"

    viewer = (
        await cli(settings, "api-key", "create", "--workspace", slug, "--role", "viewer")
    ).strip()
    me = await client.get("/v1/api-keys/current", headers={"Authorization": f"Bearer {viewer}"})
    assert me.json()["role"] == "viewer"

    await cli(settings, "api-key", "revoke", me.json()["prefix"])
    # Another process revoked it: this API trusts a verified key for at most
    # `api_key_cache_seconds`, then refuses it.
    deadline = time.monotonic() + settings.api_key_cache_seconds + 5
    while True:
        revoked = await client.get("/v1/workspace", headers={"Authorization": f"Bearer {viewer}"})
        if revoked.status_code != 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert revoked.status_code == 401


@pytest.mark.parametrize(
    ("option", "value", "complaint"),
    [
        ("--timezone", "Mars/Olympus", "IANA time zone"),
        ("--currency", "dollars", "ISO 4217"),
    ],
)
async def test_a_bad_option_is_one_clear_line_and_creates_nothing(
    settings, option, value, complaint
):
    status, output, errors = await run_cli(
        settings, "workspace", "create", "Olympus team", option, value
    )
    assert status == 2
    assert output == ""
    [line] = errors.splitlines()
    assert line.startswith(f"campaignops: {option} '{value}': ")
    assert complaint in line
    assert "Olympus team" not in await cli(settings, "workspace", "list")
