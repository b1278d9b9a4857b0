"""docker-compose.yml stays valid (where a compose tool is installed) and complete."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_is_valid_and_names_every_service():
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed here")
    check = subprocess.run([*command, "config", "-q"], cwd=REPO, capture_output=True, check=False)
    assert check.returncode == 0, check.stderr.decode()
    services = subprocess.run(
        [*command, "config", "--services"], cwd=REPO, capture_output=True, check=True
    )
    assert set(services.stdout.decode().split()) == {
        "postgres",
        "redis",
        "migrate",
        "api",
        "worker",
    }
