"""Exponential backoff: how long to wait before trying again what just failed."""

from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays of `first`, then twice the previous one, never more than `maximum`."""

    first: float
    maximum: float
    _next: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._next = self.first

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(delay * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.first
