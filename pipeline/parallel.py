"""Per-page OCR in worker processes (Tesseract and OpenCV are CPU-bound: processes, not threads).

One pool per process, created on first use and reused; a broken pool (a worker killed) is dropped
and the remaining pages are read in this process. Workers watch the process that made the pool
and exit when it is gone, taking their fork server with them: a flow run killed mid-document
(``kill -9``, out of memory) leaves no OCR process behind holding half a gigabyte each."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipeline.content import PageContent
from pipeline.errors import OcrTimeoutError
from pipeline.ocr.base import OcrEngine, OcrOptions, get_engine
from pipeline.page_reader import OcrJob, ocr_gray_image, ocr_image, with_upright_image
from pipeline.preprocess import PageGeometry, ocr_gray

log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.RLock()


def default_workers() -> int:
    """``EVIDENCE_OCR_WORKERS`` or the cores this process may use."""
    env = os.environ.get("EVIDENCE_OCR_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=4)
def _engine(options: OcrOptions) -> OcrEngine:
    return get_engine(options)


@dataclass(frozen=True)
class GrayJob:
    """What an OCR worker gets of a page: its grayscale (a third of the colour page's bytes)."""

    index: int
    gray: np.ndarray
    reason: str


def run_gray_job(job: GrayJob, options: OcrOptions) -> tuple[PageContent, PageGeometry]:
    """Preprocess and OCR one page in a worker: the page without its image, and how to turn
    the colour page upright in the parent (which has it already: it need not travel back)."""
    return ocr_gray_image(job.gray, index=job.index, reason=job.reason, engine=_engine(options))


def run_job(job: OcrJob, options: OcrOptions) -> PageContent:
    """Preprocess and OCR one page in this process."""
    return ocr_image(job.image, index=job.index, reason=job.reason, engine=_engine(options))


def _get_pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of ``workers`` processes (started on demand). Several documents may be
    read at once on threads: they share it, and a pool of another size replaces it without
    cancelling the pages already queued on the old one (they finish there)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=False)
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["pipeline.parallel"])
            _pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=ctx, initializer=watch_owner, initargs=(os.getpid(),)
            )
            _pool_size = workers
        return _pool


OWNER_CHECK_S = 1.0
"""How often a worker checks that the process owning its pool is still alive (seconds)."""


def owner_gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (it no longer exists, or it is a zombie not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):  # no /proc (not Linux): existence is all we know
        return False


def watch_owner(owner_pid: int, interval_s: float = OWNER_CHECK_S) -> None:
    """Pool initializer: a daemon thread that ends this worker, and the fork server it was forked
    from, once ``owner_pid`` (the process that made the pool) has ended."""

    def watch() -> None:
        while not owner_gone(owner_pid):
            time.sleep(interval_s)
        server = os.getppid()
        if server not in (owner_pid, 1):  # the fork server: orphaned too, nobody else uses it
            with contextlib.suppress(OSError):
                os.kill(server, signal.SIGTERM)
        os._exit(1)

    threading.Thread(target=watch, name="evidence-owner-watch", daemon=True).start()


def _drop_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def ocr_pages(
    jobs: list[OcrJob], options: OcrOptions, workers: int
) -> Iterator[tuple[OcrJob, PageContent | Exception]]:
    """Each job with its page or the exception it raised, in job order.

    Pages run in worker processes so that a page stuck in an engine can be given up after
    ``options.timeout_s`` whatever the engine (the worker is killed and the pool rebuilt)."""
    if not jobs:
        return
    # the pool's size does not follow the job count: another document's pages may be queued on
    # it, and ProcessPoolExecutor starts its processes only as work arrives
    pool = _get_pool(max(1, workers))
    futures: list[Future[tuple[PageContent, PageGeometry]] | Exception] = []
    for job in jobs:
        try:
            gray = ocr_gray(job.image)
        except Exception as exc:  # not a usable page image: that page's error
            futures.append(exc)
            continue
        futures.append(pool.submit(run_gray_job, GrayJob(job.index, gray, job.reason), options))
    broken = False
    started = time.monotonic()
    for i, (job, fut) in enumerate(zip(jobs, futures, strict=True)):
        if broken:
            yield job, _inline(job, options)
            continue
        if isinstance(fut, Exception):
            yield job, fut
            continue
        # each page gets its own timeout, counted from when it could have started at the latest
        budget = options.timeout_s * (1 + i // max(1, _pool_size))
        remaining = max(0.1, started + budget - time.monotonic())
        try:
            page, geometry = fut.result(timeout=remaining)
            yield job, with_upright_image(page, job.image, geometry)
        except FutureTimeout:
            log.warning(
                "OCR of page %d timed out after %.0f s; restarting the worker pool", job.index, budget
            )
            _kill_pool()
            yield (
                job,
                OcrTimeoutError(
                    f"第 {job.index + 1} 页识别超时 OCR of page {job.index + 1} took longer than "
                    f"{options.timeout_s:g} s; raise EVIDENCE_OCR_TIMEOUT or rescan the page",
                    page=job.index,
                ),
            )
            yield from ocr_pages(jobs[i + 1 :], options, workers)
            return
        except BrokenProcessPool:
            log.warning("OCR worker pool broke; reading the remaining pages in-process")
            _drop_pool()
            broken = True
            yield job, _inline(job, options)
        except CancelledError:  # the pool was killed for another document's stuck page
            yield job, _inline(job, options)
        except Exception as exc:  # the page's own failure, raised in the worker
            yield job, exc


def _kill_pool() -> None:
    """Stop the pool now, terminating busy workers (a timed-out OCR cannot be cancelled)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            return
        for proc in list(getattr(_pool, "_processes", {}).values()):
            proc.terminate()
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _inline(job: OcrJob, options: OcrOptions) -> PageContent | Exception:
    try:
        return run_job(job, options)
    except Exception as exc:
        return exc
