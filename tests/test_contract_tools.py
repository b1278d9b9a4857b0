"""The contract frontends build on, checked with the tools they use.

- Redocly CLI lints the OpenAPI document with its `recommended` rules plus invalid examples
  as errors (redocly.yaml): no error, no warning.
- The TypeScript client published in clients/typescript is what the current document
  generates (a stale client fails: run `./dev client`), and it type-checks with its example
  program under `tsc --strict`; the example also runs against a live API.
- openapi-python-client generates a client with no warning, one module per operation.

The document is the one `campaignops openapi` writes (what /openapi.json serves). The Node.js
tools come from clients/typescript/package-lock.json (`./dev test` runs `npm ci` when the lock
changes). Without Node.js or those tools the tests skip saying why, and fail under CI=true.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.actor import Role
from shared.config import Settings
from tests.helpers import Tenant
from tests.live import live_api

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "clients" / "typescript"
TOOLS = CLIENT / "node_modules" / ".bin"
# Redocly CLI: no usage report or update check from a test run.
NODE_ENV = os.environ | {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
METHODS = {"get", "put", "post", "delete", "patch"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def run(
    command: list[str | Path], *, cwd: Path = ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=NODE_ENV | env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def tools() -> Path:
    """The Node.js tools' folder; skips (fails under CI) when they are not installed."""
    reason = None
    if shutil.which("node") is None:
        reason = "Node.js is not installed (the contract checks need Node.js >= 20 with npm)"
    elif not (TOOLS / "tsc").exists():
        reason = f"no {TOOLS}: run `./dev test` (it runs `npm ci` in clients/typescript)"
    if reason is not None:
        if _in_ci():
            pytest.fail(f"CI must run the contract checks; {reason}")
        pytest.skip(reason)
    return TOOLS


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The OpenAPI document as `campaignops openapi` writes it (no database needed)."""
    path = tmp_path_factory.mktemp("contract") / "openapi.json"
    written = run([sys.executable, "-m", "services.cli", "openapi", path])
    assert written.returncode == 0, written.stderr
    return path


@dataclass
class Generation:
    """openapi-python-client, started as soon as the document exists: it takes the longest
    and needs no Node.js, so it runs on the other core while the TypeScript checks do."""

    output: Path
    process: subprocess.Popen[str]

    def result(self) -> tuple[int, str]:
        said, _ = self.process.communicate(timeout=600)
        return self.process.returncode, said


@pytest.fixture(scope="module")
def python_client(document: Path) -> Iterator[Generation]:
    output = document.parent / "python-client"
    generator = Path(sys.executable).parent / "openapi-python-client"
    config = ROOT / "clients" / "openapi-python-client.yaml"
    process = subprocess.Popen(
        [
            *(str(generator), "generate", "--path", str(document), "--output-path", str(output)),
            *("--meta", "none", "--config", str(config)),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield Generation(output, process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module", autouse=True)
def _start_python_client_early(python_client: Generation) -> None:
    """Every test of the module asks for it, so it starts with the first one."""


def operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    ]


def test_document_passes_redocly_recommended_rules_without_a_warning(tools, document):
    config = yaml.safe_load((ROOT / "redocly.yaml").read_text())
    assert config["extends"] == ["recommended"]
    for rule in ("no-invalid-media-type-examples", "no-invalid-schema-examples"):
        assert config["rules"][rule]["severity"] == "error"

    config_file = ROOT / "redocly.yaml"
    linted = run([tools / "redocly", "lint", document, "--config", config_file, "--format=json"])
    report = json.loads(linted.stdout)
    problems = [
        f"{p['severity']} {p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
        for p in report["problems"]
    ]
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    assert report["totals"]["errors"] == report["totals"]["warnings"] == 0
    assert linted.returncode == 0, linted.stderr


def test_published_typescript_client_is_generated_from_the_current_document(
    tools, document, tmp_path
):
    generated = tmp_path / "schema.d.ts"
    # As `./dev client` runs it: from the client's folder.
    result = run([tools / "openapi-typescript", document, "--output", generated], cwd=CLIENT)
    assert result.returncode == 0, result.stdout + result.stderr
    published = (CLIENT / "src" / "schema.d.ts").read_text()
    assert generated.read_text() == published, (
        "clients/typescript/src/schema.d.ts is stale: run `./dev client` and commit it"
    )
    # Every operation of the document has its typed entry.
    spec = json.loads(document.read_text())
    for method, path in operations(spec):
        operation_id = spec["paths"][path][method]["operationId"]
        assert f"    {operation_id}: {{" in published, operation_id


def test_typescript_client_and_its_example_type_check_strictly(tools):
    checked = run([tools / "tsc", "--strict", "--noEmit", "-p", CLIENT])
    assert checked.returncode == 0, checked.stdout + checked.stderr


# Transpiles (no type-check: the test above does it) to CommonJS, which Node.js 20 runs.
TRANSPILE = """
const fs = require("fs"), path = require("path"), ts = require("typescript");
const [source, target] = process.argv.slice(1);
for (const file of ["src/client.ts", "examples/members.ts"]) {
  const out = ts.transpileModule(fs.readFileSync(path.join(source, file), "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
  fs.writeFileSync(path.join(target, file.replace(/\\.ts$/, ".js")), out.outputText);
}
"""


@pytest.fixture
def live(settings: Settings) -> Iterator[str]:
    env = {
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "REDIS_PREFIX": settings.redis_prefix,
        "QUEUE_NAME": settings.queue_name,
        "LOG_LEVEL": "WARNING",
    }
    with live_api(env) as base:
        yield base


@pytest.mark.committed
def test_example_program_creates_pages_and_handles_a_problem_against_a_live_api(
    tools, tenant: Tenant, live: str, tmp_path
):
    built = run(["node", "-e", TRANSPILE, CLIENT, tmp_path], cwd=CLIENT)
    assert built.returncode == 0, built.stderr
    ran = run(
        ["node", tmp_path / "examples" / "members.js"],
        CAMPAIGNOPS_URL=live,
        CAMPAIGNOPS_KEY=tenant.tokens[Role.admin],
        NODE_PATH=str(CLIENT / "node_modules"),
        PAGE_SIZE="1",
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].startswith("created Li Na (")
    assert " at /v1/members/" in lines[0]
    assert lines[1].startswith("created Wang Wei (")
    assert lines[2] == "already a member: A member with email li.na@example.com already exists."
    assert lines[3] == "2 members in 2 page(s): Li Na, Wang Wei"


def test_python_client_generates_without_a_warning(document, python_client: Generation):
    status, said = python_client.result()
    assert status == 0, said
    lines = [line for line in said.splitlines() if line.strip()]
    assert lines == [f"Generating {python_client.output}"], "\n".join(lines)
    # One module per operation: none was dropped.
    modules = [p for p in (python_client.output / "api").rglob("*.py") if p.name != "__init__.py"]
    assert len(modules) == len(operations(json.loads(document.read_text())))
