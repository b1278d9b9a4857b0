"""docker-compose.yml stays valid (where a compose tool is installed) and complete."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from shared.config import Settings

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


def test_links_in_notifications_lead_to_the_published_api():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    published = compose["services"]["api"]["ports"][0].split(":")[0]
    for service in ("api", "worker"):
        environment = compose["services"][service]["environment"]
        assert environment["PUBLIC_BASE_URL"].endswith(f":{published}}}"), service


def test_the_link_base_follows_the_api_port_unless_given(monkeypatch):
    for name in ("PUBLIC_BASE_URL", "API_HOST", "API_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(_env_file=None, api_port=8100).public_base_url == "http://127.0.0.1:8100"
    everywhere = Settings(_env_file=None, api_host="0.0.0.0", api_port=9000)  # noqa: S104
    assert everywhere.public_base_url == "http://127.0.0.1:9000"
    given = Settings(_env_file=None, api_port=8100, public_base_url="https://ops.example.com")
    assert given.public_base_url == "https://ops.example.com"
