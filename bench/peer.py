"""The peer we compare alert latency with: Prometheus + Pushgateway + Alertmanager, scraping
and evaluating every second (Debian's packages: `apt-get install prometheus
prometheus-pushgateway prometheus-alertmanager`).

A probe pushes `negative_comments{probe="<n>"} 100` to the Pushgateway; a rule fires on
`negative_comments > 50` with no hold; Alertmanager sends the group at once (group_wait
0 s) to a local receiver. The figure is push -> webhook received, as ours is webhook
sent -> callback received. Each probe then pushes 0 and waits until Prometheus no longer
has the alert, so every probe is a fresh alert.
"""

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.receivers import read_body, serve_in_thread
from shared.embedded import free_port

BINARIES = ("prometheus", "prometheus-pushgateway", "prometheus-alertmanager")
RULES = """groups:
- name: probe
  interval: 1s
  rules:
  - alert: NegativeComments
    expr: negative_comments > 50
"""


def available() -> bool:
    return all(shutil.which(name) for name in BINARIES)


class AlertmanagerReceiver:
    """Records when the first firing notification for each probe arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = await read_body(receive)
        now = time.perf_counter()
        for alert in json.loads(body).get("alerts", []):
            if alert.get("status") == "firing":
                self.arrived.setdefault(alert["labels"].get("probe", ""), now)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.1)


@contextmanager
def prometheus_stack(receiver_url: str) -> Iterator[tuple[str, str]]:
    """Yield (pushgateway URL, prometheus URL) of a stack that calls `receiver_url`."""
    gateway, prometheus, alertmanager = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="campaignops-bench-peer-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        (root / "rules.yml").write_text(RULES)
        (root / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [rules.yml]\n"
            "alerting: {alertmanagers: [{static_configs: "
            f"[{{targets: ['127.0.0.1:{alertmanager}']}}]}}]}}\n"
            "scrape_configs: [{job_name: gateway, honor_labels: true, static_configs: "
            f"[{{targets: ['127.0.0.1:{gateway}']}}]}}]\n"
        )
        (root / "alertmanager.yml").write_text(
            "route: {receiver: ops, group_by: [probe], group_wait: 0s, group_interval: 1s,"
            " repeat_interval: 1h}\n"
            f"receivers: [{{name: ops, webhook_configs: [{{url: '{receiver_url}'}}]}}]\n"
        )
        commands = [
            ["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{gateway}"],
            [
                "prometheus-alertmanager",
                f"--config.file={root / 'alertmanager.yml'}",
                f"--storage.path={root / 'am'}",
                f"--web.listen-address=127.0.0.1:{alertmanager}",
                "--cluster.listen-address=",
            ],
            [
                "prometheus",
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prometheus}",
            ],
        ]
        for command in commands:
            process = subprocess.Popen(  # noqa: S603 - fixed binaries and our own config
                command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            stack.callback(process.wait, 10)
            stack.callback(process.terminate)
        _wait_up(f"http://127.0.0.1:{gateway}/-/ready")
        _wait_up(f"http://127.0.0.1:{alertmanager}/-/ready")
        _wait_up(f"http://127.0.0.1:{prometheus}/-/ready")
        yield f"http://127.0.0.1:{gateway}", f"http://127.0.0.1:{prometheus}"


def probe_peer(count: int) -> list[float]:
    """Push -> Alertmanager webhook received, in ms, for `count` probes."""
    receiver = AlertmanagerReceiver()
    port = free_port()
    serve_in_thread(receiver, port)
    samples = []
    with prometheus_stack(f"http://127.0.0.1:{port}/") as (gateway, prometheus):
        for probe in range(count):
            url = f"{gateway}/metrics/job/bench/probe/{probe}"
            sent = time.perf_counter()
            httpx.put(url, content=b"negative_comments 100\n").raise_for_status()
            while str(probe) not in receiver.arrived:
                if time.perf_counter() - sent > 30:
                    raise TimeoutError("the Prometheus stack sent no alert within 30 s")
                time.sleep(0.005)
            samples.append((receiver.arrived[str(probe)] - sent) * 1000)
            httpx.delete(url).raise_for_status()
            while httpx.get(f"{prometheus}/api/v1/alerts").json()["data"]["alerts"]:
                time.sleep(0.05)
    return samples
