"""Every job name the code can enqueue is a job the worker runs.

A name is spelled once, beside what the job runs, and the worker registers a function of
that name; nothing else ties the two together. A job renamed on one side only fails here
rather than in production, where arq fails the job (`function not found`) in the queue.
"""

import ast
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from arq.worker import func

from services.worker.settings import FUNCTIONS
from shared.alerts import service as alerts
from shared.ingestion import service as ingestion
from shared.notifications import service as notifications

ROOT = Path(__file__).resolve().parent.parent
# shared/jobs.py: the only way a job is sent; shared/claims.py: one job per campaign
ENQUEUERS = {"enqueue", "enqueue_once", "enqueue_per_campaign"}
INTERFACES = {ROOT / "shared" / "jobs.py", ROOT / "shared" / "claims.py"}  # pass names on


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _value(node: ast.expr, module: ModuleType, where: str) -> Any:
    """A job name as written: a string, or a module-level name (`WATCH_JOB`,
    `alerts.WATCH_JOB`) looked up in the module. Anything else cannot be checked."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return getattr(module, node.id)
    if isinstance(node, ast.Attribute):
        return getattr(_value(node.value, module, where), node.attr)
    raise AssertionError(f"{where}: name the job with a constant, not {ast.unparse(node)}")


def enqueued_names() -> dict[str, list[str]]:
    """Each job name passed to jobs.enqueue/enqueue_once in shared/ and services/, with
    where (file:line) it is passed."""
    names: dict[str, list[str]] = {}
    for path in sorted([*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]):
        if path in INTERFACES:
            continue
        calls = [
            node
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.Call) and _called(node) in ENQUEUERS
        ]
        if not calls:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = importlib.import_module(".".join(p for p in parts if p != "__init__"))
        for call in calls:
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            given = [k.value for k in call.keywords if k.arg == "function"]
            node = call.args[1] if len(call.args) > 1 else given[0]  # (session, function, ...)
            name = _value(node, module, where)
            assert isinstance(name, str), where
            names.setdefault(name, []).append(where)
    return names


def test_every_enqueued_job_is_registered_in_the_worker():
    registered = {func(f).name for f in FUNCTIONS}  # the names arq runs them under
    enqueued = enqueued_names()
    # The scan sees the jobs sent today (it would pass vacuously if it saw none).
    assert {alerts.WATCH_JOB, ingestion.APPLY_JOB, notifications.SEND_JOB} <= set(enqueued)
    unknown = {name: where for name, where in enqueued.items() if name not in registered}
    assert not unknown, f"enqueued, but no worker function of that name: {unknown}"
