"""The hand-out of a batch's documents to the ``reprocess`` flow's document tasks.

A Prefect task run costs about 25–35 ms of CPU (the run's states and events, mostly in the API
server), as much as reading a born-digital document. So a document task does not get one
document: it takes the next pending document from the feed, processes it, and takes another
while it has run for less than ``budget_s``. A scan (seconds of OCR) is one document per task as
before; a run of small text-layer PDFs shares one task run.

Each finished document is reported to the flow's thread through a queue, so progress is counted,
and observers called, per document and in the flow's own thread. The feed is an ordinary object,
not a collection, so Prefect passes it to the task as it is (in-process task runners only: the
flow's ``ThreadPoolTaskRunner``)."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.index.plan import PlanItem
from pipeline.index.work import WorkOutcome

#: A document task takes another document while it has run for less than this (seconds).
DEFAULT_TASK_BUDGET_S = 1.0


@dataclass(frozen=True)
class Finished:
    """One document done by the task holding ``lane``."""

    lane: int
    item: PlanItem
    outcome: WorkOutcome


@dataclass(frozen=True)
class LaneEnded:
    """The task holding ``lane`` returned or failed; ``error`` when it failed."""

    lane: int
    error: str | None = None


class DocumentFeed:
    """Pending documents in plan order, taken one at a time by the document tasks ("lanes").

    A plain class on purpose: Prefect walks dataclasses and models passed as task parameters
    (looking for futures), which would cost a walk over the whole batch per task."""

    def __init__(self, items: Iterable[PlanItem], budget_s: float = DEFAULT_TASK_BUDGET_S) -> None:
        self.budget_s = budget_s
        self.reports: queue.Queue[Finished | LaneEnded] = queue.Queue()
        self._pending: deque[PlanItem] = deque(items)
        self._held: dict[int, PlanItem] = {}
        self._taken: dict[int, int] = {}
        self._lock = threading.Lock()
        self._closed = False

    @property
    def pending(self) -> int:
        """Documents not handed out yet."""
        with self._lock:
            return len(self._pending)

    def take(self, lane: int) -> PlanItem | None:
        """The next document for ``lane``, or None when the feed is empty or closed."""
        with self._lock:
            if self._closed or not self._pending:
                return None
            item = self._pending.popleft()
            self._held[lane] = item
            self._taken[lane] = self._taken.get(lane, 0) + 1
            return item

    def taken(self, lane: int) -> int:
        """How many documents ``lane`` took."""
        with self._lock:
            return self._taken.get(lane, 0)

    def finish(self, lane: int, item: PlanItem, outcome: WorkOutcome) -> None:
        """``lane`` is done with ``item``: report it to the flow."""
        with self._lock:
            self._held.pop(lane, None)
        self.reports.put(Finished(lane, item, outcome))

    def reclaim(self, lane: int) -> PlanItem | None:
        """Take back the document ``lane`` took and did not report (its task failed while on
        it), so that it is counted once; None when the lane holds nothing."""
        with self._lock:
            return self._held.pop(lane, None)

    def lane_ended(self, lane: int, error: str | None = None) -> None:
        """The task holding ``lane`` is over (``error`` when it failed): report it to the flow."""
        self.reports.put(LaneEnded(lane, error))

    def close(self) -> None:
        """Hand out nothing more (the flow is stopping); documents being processed finish."""
        with self._lock:
            self._closed = True
