"""/metrics: this process alone (summed across replicas); the cluster's figures elsewhere."""

from tests.telemetry.conftest import samples, value


async def test_process_and_runtime_figures_of_this_replica(client):
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    names = {name for name, _ in samples(text)}
    assert value(text, "process_cpu_seconds_total") is not None
    assert (value(text, "process_resident_memory_bytes") or 0) > 0
    assert (value(text, "process_open_fds") or 0) > 0
    assert "python_info" in names
    assert "python_gc_collections_total" in names
    healthz = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(text, "campaignops_http_requests_total", **healthz) == 1


async def test_cluster_figures_are_not_on_the_per_replica_path(client):
    """Summing /metrics across replicas must be right: nothing cluster-wide is there."""
    replica = {name for name, _ in samples((await client.get("/metrics")).text)}
    cluster = {name for name, _ in samples((await client.get("/metrics/cluster")).text)}
    assert not {n for n in replica if n.startswith(("campaignops_jobs", "campaignops_queue"))}
    assert {"campaignops_queue_jobs", "campaignops_ingest_batches"} <= cluster
    assert not {n for n in cluster if n.startswith(("process_", "python_"))}
    assert not replica & cluster
