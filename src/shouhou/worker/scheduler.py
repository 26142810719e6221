"""The scheduler: fires claim timers and writes audit checkpoints on a steady tick."""

from __future__ import annotations

import logging
import threading
import time

from shouhou.audit import service as audit_service
from shouhou.claims.timers import run_timers
from shouhou.repairs.timers import run_repair_timers
from shouhou.runtime import Runtime

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, rt: Runtime, *, tick_seconds: float = 5.0, checkpoint_seconds: float = 60.0) -> None:
        self.rt = rt
        self.tick_seconds = tick_seconds
        self.checkpoint_seconds = checkpoint_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_checkpoint = 0.0

    def tick(self) -> int:
        fired = run_timers(self.rt) + run_repair_timers(self.rt)
        if time.monotonic() - self._last_checkpoint >= self.checkpoint_seconds:
            self.checkpoint()
        return fired

    def checkpoint(self) -> None:
        audit_service.checkpoint(
            self.rt.db, self.rt.keys.audit, self.rt.settings.audit_checkpoint_file, now=self.rt.now()
        )
        self._last_checkpoint = time.monotonic()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="shouhou-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")
