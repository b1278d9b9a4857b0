"""Positions in the feed: `<transaction id>-<sequence>`, opaque to clients."""

import re
from dataclasses import dataclass

_POSITION = re.compile(r"^(\d{1,19})-(\d{1,19})$")
_MAX = 2**63 - 1  # both parts are signed 64-bit in the database


@dataclass(frozen=True, order=True)
class Position:
    tx_id: int
    seq: int

    def __str__(self) -> str:
        return f"{self.tx_id}-{self.seq}"

    @classmethod
    def parse(cls, raw: str) -> "Position":
        """The position in `raw`; ValueError when it is not one."""
        match = _POSITION.match(raw.strip())
        if match is None:
            raise ValueError("not a position")
        tx_id, seq = int(match[1]), int(match[2])
        if tx_id > _MAX or seq > _MAX:
            raise ValueError("position out of range")
        return cls(tx_id, seq)


# Before every event: resuming from here replays the whole feed.
START = Position(0, 0)
