"""The schedule of a large breakdown: 2,000 tasks and 5,000 dependencies (target < 100 ms).

    .venv/bin/python -m bench.schedule [--tasks 2000] [--dependencies 5000] [--runs 20]

Prints the critical-path computation alone, and `GET /v1/campaigns/{id}/schedule` end
to end against a live API process (embedded PostgreSQL and Redis unless the URLs are set).
"""

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import date, timedelta

import httpx
from redis import Redis
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bench.servers import servers
from shared.actor import Role
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.db import create_engine
from shared.ids import new_id
from shared.metrics import service as metric_dictionary
from shared.tasks import schedule as cpm
from shared.tasks.models import Task, TaskDependency, TaskLevel, TaskStatus
from shared.workspaces import api_keys, service
from tests.live import live_api


def random_dag(
    tasks: int, dependencies: int, seed: int = 7
) -> tuple[list[cpm.Node], list[cpm.Edge]]:
    """Tasks planned over 90 days in index order, every edge pointing forward (no cycle):
    like a real plan, most successors start after their predecessors; some overlap."""
    rng = random.Random(seed)
    start = date(2024, 5, 1)
    nodes = []
    for i in range(tasks):
        first = start + timedelta(days=i * 90 // tasks)
        nodes.append(cpm.Node(uuid.uuid4(), first, first + timedelta(days=rng.randrange(0, 10))))
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < dependencies:
        a, b = sorted(rng.sample(range(tasks), 2))
        pairs.add((a, b))
    edges = [cpm.Edge(nodes[a].id, nodes[b].id, rng.choice((0, 0, 1, 2))) for a, b in pairs]
    return nodes, edges


def report(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    print(
        f"{name:<44} median {statistics.median(samples):7.1f} ms   "
        f"p95 {samples[int(0.95 * (len(samples) - 1))]:7.1f} ms   min {samples[0]:7.1f} ms"
    )


async def seed(database_url: str, nodes: list[cpm.Node], edges: list[cpm.Edge]) -> tuple[str, str]:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace = await service.create_workspace(session, name="Bench")
            await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
            _, token = await api_keys.create_api_key(
                session, workspace_id=workspace.id, name="bench", role=Role.admin
            )
            owner = await service.create_member(
                session, workspace_id=workspace.id, name="Owner", email="owner@example.com"
            )
            campaign = Campaign(
                workspace_id=workspace.id,
                name="Big launch",
                kind=CampaignKind.other,
                status=CampaignStatus.active,
                timezone="Asia/Shanghai",
                currency="CNY",
                start_date=date(2024, 5, 1),
                end_date=date(2024, 8, 31),
            )
            session.add(campaign)
            await session.flush()
            await connection.execute(
                insert(Task),
                [
                    {
                        "id": n.id,
                        "workspace_id": workspace.id,
                        "campaign_id": campaign.id,
                        "code": f"T-{i:04d}",
                        "name": f"Task {i}",
                        "level": TaskLevel.task,
                        "owner_id": owner.id,
                        "planned_start": n.start,
                        "planned_end": n.end,
                        "status": TaskStatus.todo,
                        "progress": 0,
                        "version": 1,
                        "supporting_departments": [],
                    }
                    for i, n in enumerate(nodes)
                ],
            )
            await connection.execute(
                insert(TaskDependency),
                [
                    {
                        "id": new_id(),
                        "workspace_id": workspace.id,
                        "campaign_id": campaign.id,
                        "predecessor_id": e.predecessor,
                        "successor_id": e.successor,
                        "lag_days": e.lag_days,
                        "version": 1,
                    }
                    for e in edges
                ],
            )
            await session.close()
        return token, str(campaign.id)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--dependencies", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    nodes, edges = random_dag(args.tasks, args.dependencies)

    samples = []
    for _ in range(args.runs):
        started = time.perf_counter()
        plan = cpm.compute(nodes, edges)
        samples.append((time.perf_counter() - started) * 1000)
    print(
        f"{args.tasks} tasks, {args.dependencies} dependencies; critical path of "
        f"{len(plan.critical_path)} tasks, {len(plan.conflicts)} conflicts, "
        f"finish {plan.finish}; {os.cpu_count()} cores"
    )
    report("critical path method alone", samples)

    with servers("schedule") as (database_url, redis_url):
        token, campaign_id = asyncio.run(seed(database_url, nodes, edges))
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_PER_MINUTE": "0",
        }
        with live_api(env) as base:
            url = f"{base}/v1/campaigns/{campaign_id}/schedule"
            headers = {"Authorization": f"Bearer {token}"}
            cache = Redis.from_url(redis_url)
            cold, warm = [], []
            with httpx.Client(headers=headers, timeout=30) as client:
                client.get(url).raise_for_status()  # warm-up
                for _ in range(args.runs):
                    for key in cache.scan_iter("campaignops:schedule:*"):
                        cache.delete(key)  # as after a change to the plan
                    started = time.perf_counter()
                    response = client.get(url)
                    cold.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    started = time.perf_counter()
                    client.get(url).raise_for_status()
                    warm.append((time.perf_counter() - started) * 1000)
            rows = len(response.json()["rows"])
        report(f"GET .../schedule, computed ({rows} rows)", cold)
        report(f"GET .../schedule, unchanged plan ({rows} rows)", warm)


if __name__ == "__main__":
    main()
