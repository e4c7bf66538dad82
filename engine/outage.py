"""Waiting out a storage outage: exponential backoff between probes, up to a window.

While a request's storage is unreachable (S3 down, a 5xx, throttling: `DeliveryError.transient`), the
engine tries it again after 1 s, then 2, 4, … up to a cap: a thirtieth of the window, between 1 and 30 s,
so a short outage is noticed soon and a long one is not hammered. Once the storage has been unreachable
for longer than the window (TILEWISE_STORAGE_OUTAGE_WINDOW), failures count as ordinary ones again.
The state lives in memory only: after a restart the engine simply tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0
PROBES_PER_WINDOW = 30  # the cap leaves room for about this many tries within a window


def backoff_cap(window_s: float) -> float:
    return min(MAX_DELAY_S, max(BASE_DELAY_S, window_s / PROBES_PER_WINDOW))


@dataclass
class Outage:
    """One storage found unreachable at `since` (time.monotonic); the next try is due at `retry_at`."""

    window_s: float
    since: float
    retry_at: float
    delay: float = BASE_DELAY_S
    probe: Optional[int] = None  # the tile sent to see whether the storage is back, while it runs

    @classmethod
    def begin(cls, window_s: float, now: float) -> Outage:
        return cls(window_s, since=now, retry_at=now + BASE_DELAY_S)

    def failed_again(self, now: float) -> None:
        """A try after the outage began failed too: wait twice as long (up to the cap) before the next."""
        self.delay = min(self.delay * 2, backoff_cap(self.window_s))
        self.retry_at = now + self.delay

    def due(self, now: float) -> bool:
        return now >= self.retry_at

    def expired(self, now: float) -> bool:
        return now - self.since >= self.window_s

    def describe(self, now: float, error: str) -> str:
        """The reason given when the window is over; `error` names the bucket (never a key)."""
        return (
            f"The storage was unreachable for {now - self.since:.0f} s, longer than "
            f"TILEWISE_STORAGE_OUTAGE_WINDOW ({self.window_s:.0f} s): {error}"
        )
