"""Reading Prometheus text, and a cluster scrape whose clocks the test holds."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.api.cluster_metrics import ClusterMetrics
from shared.ids import first_id_at

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


def id_at(moment: datetime) -> uuid.UUID:
    """A UUIDv7-like id made at `moment`, as rows created then have."""
    return uuid.UUID(int=first_id_at(moment).int | (uuid.uuid4().int & ((1 << 80) - 1)))


@dataclass
class Monotonic:
    seconds: float = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
def cluster_app(app, monotonic: Monotonic):
    """The app, its cluster figures read at NOW and cached 5 s of `monotonic`."""
    app.state.cluster_metrics = ClusterMetrics(
        cache_seconds=5.0, now=lambda: NOW, monotonic=monotonic
    )
    return app
