"""The job runner: takes persisted jobs one at a time under a lease; after a crash the job is taken again."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from shouhou.runtime import Runtime

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
MAX_ATTEMPTS = 5


class Worker:
    def __init__(self, rt: Runtime, handlers: Mapping[str, Handler], *, name: str | None = None) -> None:
        self.rt = rt
        self.handlers = dict(handlers)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.paused = False

    def wake(self) -> None:
        self._wake.set()

    def recover(self) -> int:
        """At start-up of the embedded server: jobs left running by a dead process go back to the queue."""
        with self.rt.uow(write=True) as uow:
            n = uow.jobs.release_running()
            uow.commit()
        if n:
            log.info("re-queued %d job(s) left running by a previous process", n)
        return n

    def run_once(self) -> bool:
        """Run one job if one is due; False when the queue is empty."""
        lease = timedelta(seconds=self.rt.settings.job_lease_seconds)
        with self.rt.uow(write=True) as uow:
            job = uow.jobs.pick(now=self.rt.now(), worker=self.name, lease=lease, kinds=list(self.handlers))
            if job is None:
                return False
            job_id, kind, payload, attempts = job.id, job.kind, dict(job.payload), job.attempts
            uow.commit()
        try:
            self.handlers[kind](payload)
        except Exception as exc:
            log.exception("job %s (%s) failed, attempt %d", job_id, kind, attempts)
            self._finish(job_id, error=f"{type(exc).__name__}: {exc}", attempts=attempts)
            return True
        self._finish(job_id, error=None, attempts=attempts)
        return True

    def _finish(self, job_id: str, *, error: str | None, attempts: int) -> None:
        now = self.rt.now()
        with self.rt.uow(write=True) as uow:
            job = uow.jobs.lock_or_raise(id=job_id)
            job.lease_until = None
            if error is None:
                job.state, job.finished_at = "done", now
            elif attempts >= MAX_ATTEMPTS:
                job.state, job.finished_at, job.last_error = "failed", now, error
            else:
                job.state, job.last_error = "queued", error
                job.run_after = now + timedelta(seconds=2**attempts)
            uow.commit()

    def run_pending(self, limit: int = 1000) -> int:
        """Run due jobs until none is left (tests, `shouhou worker run --once`)."""
        n = 0
        while n < limit and self.run_once():
            n += 1
        return n

    # ----- background thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="shouhou-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        poll = self.rt.settings.worker_poll_seconds
        while not self._stop.is_set():
            ran = False
            if not self.paused:
                try:
                    ran = self.run_once()
                except Exception:
                    log.exception("worker loop error")
            if not ran:
                self._wake.wait(poll)
                self._wake.clear()
