"""The `campaignops` command: workspaces and keys made from the shell work in the API."""

import asyncio
import os
import re
import sys

import pytest

pytestmark = pytest.mark.committed


async def cli(settings, *args: str) -> str:
    env = os.environ | {"DATABASE_URL": settings.database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


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
    revoked = await client.get("/v1/workspace", headers={"Authorization": f"Bearer {viewer}"})
    assert revoked.status_code == 401
