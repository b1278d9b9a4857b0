"""What a process sets up once, before its first transaction: the API, the worker, tests.

Every model is mapped (the registry imports them all); the execution log is written on
every flush; the reactions to events are subscribed. Each call is idempotent.
"""

from shared import models, reactions
from shared.activity import tracking

__all__ = ["install", "models"]


def install() -> None:
    tracking.install()
    reactions.install()
