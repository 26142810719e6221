"""Crash safety of claim submission: a real `shouhou serve` process is SIGKILLed while claims are being filed,
then restarted; no accepted claim is lost, none is half-written, and the worker finishes every screening."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx2
import numpy as np
import pytest
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import select

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import SYSTEM, Role
from shouhou.audit.service import verify as verify_audit
from shouhou.claims import catalog, references
from shouhou.claims.service import SCREEN_JOB
from shouhou.config import Settings
from shouhou.privacy.crypto import format_keys, new_key
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from tests.conftest import sample

pytestmark = pytest.mark.live

SEED = 20261102
ROUNDS = 5
THREADS = 3
# Requests offered per round: more than the kill point, so submissions are in flight when the kill lands.
PER_ROUND = 14
KILL_AFTER_ANSWERS = (0, 9)  # the kill comes after a random number of answers in this range, plus jitter
START_TIMEOUT_S = 40.0
SCREEN_TIMEOUT_S = 60.0
REASON = "屏幕碎了 screen cracked on arrival"


@dataclass
class Sent:
    """One submission as the client saw it: the photo it sent and the answer, if one came."""

    round: int
    buyer: str
    photo: bytes
    key: str | None
    status: int | None = None
    claim_id: str | None = None
    error: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.photo).hexdigest()

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Site:
    home: Path
    settings: Settings
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)  # buyer username → token
    orders: dict[str, str] = field(default_factory=dict)  # buyer username → order id


def _jpeg(rgb: np.ndarray, quality: int = 88) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _claim_photos(n: int) -> list[bytes]:
    """Small photos of the listed product, each with different bytes (a few pixels changed)."""
    base = cv2.resize(sample("astronaut"), (160, 160), interpolation=cv2.INTER_AREA)
    photos = []
    for i in range(n):
        img = base.copy()
        img[:4, :4] = (i * 37 % 256, i // 7 % 256, 255 - i % 256)
        photos.append(_jpeg(img))
    assert len({hashlib.sha256(p).digest() for p in photos}) == n
    return photos


def _make_site(tmp_path: Path) -> Site:
    home = tmp_path / "home"
    field_keys = format_keys({"k1": new_key()})
    lookup, audit = "lookup-key-crash-0123456789", "audit-key-crash-0123456789"
    url = f"sqlite:///{home / 'shouhou.db'}"
    settings = Settings(home=home, database_url=url, field_keys=SecretStr(field_keys),
                        lookup_key=SecretStr(lookup), audit_key=SecretStr(audit), worker_enabled=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_")}
    env.update(SHOUHOU_HOME=str(home), SHOUHOU_DATABASE_URL=url, SHOUHOU_FIELD_KEYS=field_keys,
               SHOUHOU_LOOKUP_KEY=lookup, SHOUHOU_AUDIT_KEY=audit, PYTHONUNBUFFERED="1")
    site = Site(home=home, settings=settings, env=env)
    rt = Runtime.open(settings)
    try:
        admin_user, _ = accounts.create_user(rt, actor=SYSTEM, username="admin", role=Role.ADMIN)
        admin = accounts.principal_of(admin_user)
        plat = catalog.create_platform(rt, actor=admin, name="淘宝 crash test")
        shop = catalog.create_shop(rt, actor=admin, platform_id=plat.id, name="shopA")
        sku = catalog.create_sku(rt, actor=admin, shop_id=shop.id, code="HELMET-1", title="宇航员头盔 模型",
                                 price_fen=19900)
        references.upload_sku_photos(rt, actor=admin, sku_id=sku.id,
                                  uploads=[catalog.Upload("listing.jpg", _jpeg(sample("astronaut"), 92))])
        placed = datetime(2026, 10, 28, tzinfo=UTC)
        for i, phone in enumerate(("13812345678", "13900001111")):
            order = catalog.create_order(
                rt, actor=admin, shop_id=shop.id, platform_order_id=f"TB-crash-{i}",
                buyer=catalog.BuyerInfo(platform_buyer_id=f"tb-buyer-{i}", name=f"买家{i}", phone=phone),
                lines=[catalog.OrderLine(sku_id=sku.id, quantity=1, price_fen=19900)],
                placed_at=placed, delivered_at=placed + timedelta(days=3),
            )
            name = f"buyer{i}"
            _user, site.tokens[name] = accounts.create_user(rt, actor=SYSTEM, username=name, role=Role.BUYER,
                                                            buyer_id=order.buyer_id)
            site.orders[name] = order.id
    finally:
        rt.close()
    return site


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`shouhou serve` in a child process, its output in a log file beside the data."""

    def __init__(self, site: Site, name: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = site.home.parent / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from shouhou.cli.app import main; main()", "serve",
                 "--host", "127.0.0.1", "--port", str(self.port)],
                env=site.env, cwd=site.home.parent, stdout=out, stderr=subprocess.STDOUT,
            )

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx2.Client(base_url=self.base, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    pytest.fail(f"server exited with {self.proc.returncode} at start:\n{self.log_tail()}")
                with contextlib.suppress(httpx2.TransportError):
                    if client.get("/api/v1/health").status_code == 200:
                        return
                time.sleep(0.05)  # polling interval, not a timing assumption
        self.kill()
        pytest.fail(f"server not healthy within {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def _served(site: Site, name: str) -> Iterator[Server]:
    server = Server(site, name)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.kill()


def _submit(client: httpx2.Client, site: Site, sent: Sent) -> None:
    headers = {"Authorization": f"Bearer {site.tokens[sent.buyer]}"}
    if sent.key:
        headers["Idempotency-Key"] = sent.key
    try:
        r = client.post("/api/v1/claims", headers=headers,
                        data={"order_id": site.orders[sent.buyer], "reason": REASON, "amount_fen": "19900",
                              "kind": "refund_only"},
                        files=[("photos", ("damage.jpg", sent.photo, "image/jpeg"))])
    except httpx2.TransportError as exc:  # the server died with this request in flight
        sent.error = f"{type(exc).__name__}: {exc}"
        return
    sent.status = r.status_code
    if r.is_success:
        sent.claim_id = r.json()["id"]
    else:
        sent.error = r.text[:500]


def _crash_round(site: Site, rnd: int, rng: random.Random, photos: Iterator[bytes]) -> list[Sent]:
    """Submit from a thread pool and SIGKILL the server after a random number of answers plus jitter."""
    batch = [Sent(round=rnd, buyer=f"buyer{i % 2}", photo=next(photos),
                  key=f"crash-{rnd}-{i}" if i % 3 else None) for i in range(PER_ROUND)]
    kill_after = rng.randint(*KILL_AFTER_ANSWERS)
    jitter = rng.uniform(0.0, 0.05)
    answered = threading.Semaphore(0)
    dead = threading.Event()
    queue = iter(batch)
    take = threading.Lock()

    def client_loop(base: str) -> None:
        with httpx2.Client(base_url=base, timeout=httpx2.Timeout(30.0, connect=5.0)) as client:
            while not dead.is_set():
                with take:
                    sent = next(queue, None)
                if sent is None:
                    return
                _submit(client, site, sent)
                if sent.error is not None and sent.status is None:
                    return  # the connection broke: the server is gone
                answered.release()

    with _served(site, f"server-{rnd}") as server, ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(client_loop, server.base) for _ in range(THREADS)]
        for _ in range(kill_after):
            if not answered.acquire(timeout=30):
                break
        time.sleep(jitter)  # where inside the requests the kill lands (randomised, asserted on nothing)
        server.kill()
        dead.set()
        for f in futures:
            f.result(timeout=60)
    return batch


def _check_whole(rt: Runtime, sent: list[Sent], *, after_restart: bool) -> None:
    """Every claim in the database is whole; every accepted claim is there with its exact photo."""
    by_sha = {s.sha256: s for s in sent}
    accepted = {s.claim_id: s for s in sent if s.claim_id is not None}
    with rt.uow(write=False) as uow:
        claims = {c.id: c for c in uow.session.scalars(select(t.Claim))}
        jobs: dict[str, list[t.Job]] = {}
        for job in uow.session.scalars(select(t.Job).where(t.Job.kind == SCREEN_JOB)):
            jobs.setdefault(str(job.payload["claim_id"]), []).append(job)
        missing = sorted(set(accepted) - set(claims))
        assert not missing, f"accepted claims lost after SIGKILL: {missing}"
        seen_sha: dict[str, str] = {}
        for claim_id, claim in claims.items():
            evidence = uow.evidence.for_claim(claim_id=claim_id)
            assert len(evidence) == 1, f"claim {claim_id} has {len(evidence)} evidence rows"
            ev = evidence[0]
            assert uow.blobs.get(id=ev.blob_sha256) is not None, f"claim {claim_id}: no blob row"
            # No phantom claims and no doubles: each claim is one request the client sent, filed once.
            origin = by_sha.get(ev.blob_sha256)
            assert origin is not None, f"claim {claim_id} holds a photo no request sent"
            assert seen_sha.setdefault(ev.blob_sha256, claim_id) == claim_id, f"photo filed twice: {claim_id}"
            if origin.accepted:
                assert origin.claim_id == claim_id
            assert rt.blobs.get(ev.blob_sha256) == origin.photo, f"claim {claim_id}: stored photo differs"
            moves = [(x.from_state, x.to_state) for x in uow.claims.transitions(claim_id=claim_id)]
            assert moves[:2] == [("", "submitted"), ("submitted", "screening")], (claim_id, moves)
            states = {j.state for j in jobs.get(claim_id, [])}
            allowed = {"queued", "done"} if after_restart else {"queued", "running", "done"}
            assert states and states <= allowed, f"claim {claim_id} screening jobs: {states or 'none'}"
            assert claim.state == moves[-1][1]
    report = verify_audit(rt.db, rt.keys.audit, rt.settings.audit_checkpoint_file)
    assert report.ok, [str(p) for p in report.problems]


def _wait_screened(rt: Runtime) -> list[t.Claim]:
    """Poll until no claim waits for screening and every job is finished (done or given up)."""
    deadline = time.monotonic() + SCREEN_TIMEOUT_S
    while True:
        with rt.uow(write=False) as uow:
            claims = list(uow.session.scalars(select(t.Claim)))
            open_jobs = uow.jobs.count(state="queued") + uow.jobs.count(state="running")
        waiting = [c.id for c in claims if c.state in ("submitted", "screening")]
        if not waiting and not open_jobs:
            return claims
        if time.monotonic() > deadline:
            pytest.fail(f"after {SCREEN_TIMEOUT_S} s: {len(waiting)} claim(s) still in screening "
                        f"({waiting[:5]}), {open_jobs} job(s) unfinished")
        time.sleep(0.2)  # polling interval


def test_sigkill_during_submissions_loses_no_accepted_claim(tmp_path: Path) -> None:
    site = _make_site(tmp_path)
    rng = random.Random(SEED)
    photos = iter(_claim_photos(ROUNDS * PER_ROUND))
    sent: list[Sent] = []
    for rnd in range(ROUNDS):
        batch = _crash_round(site, rnd, rng, photos)
        answered = [s for s in batch if s.status is not None]
        refused = [(s.status, s.error) for s in answered if s.status != 201]
        assert not refused, refused
        sent += batch
        rt = Runtime.open(site.settings)  # the server is dead: inspect what it left on disk
        try:
            _check_whole(rt, sent, after_restart=False)
        finally:
            rt.close()
    cut_off = [s for s in sent if s.status is None and s.error is not None]
    assert any(s.accepted for s in sent), "no submission was accepted in any round"
    assert cut_off, "no request was in flight at any kill: the test did not exercise a crash"

    rt = Runtime.open(site.settings)
    try:
        with _served(site, "server-final") as server:
            # A retried request: the same key gives back the claim already filed, or files it if it never was.
            with httpx2.Client(base_url=server.base, timeout=30.0) as client:
                for s in [x for x in sent if x.key]:
                    first = s.claim_id
                    _submit(client, site, s)
                    assert s.status in ((200,) if first else (200, 201)), (s.key, s.status, s.error)
                    assert first is None or s.claim_id == first
            claims = _wait_screened(rt)
            _check_whole(rt, sent, after_restart=True)
            with rt.uow(write=False) as uow:
                job_states = {j.state for j in uow.session.scalars(select(t.Job))}
                screened = {e.claim_id for e in uow.session.scalars(select(t.EvidenceFile)) if e.screened}
            assert job_states == {"done"}
            assert screened == {c.id for c in claims}
            server.terminate()
            # uvicorn re-raises the SIGTERM it handled once its shutdown (lifespan included) is complete.
            assert server.proc.returncode in (0, -signal.SIGTERM), server.log_tail()
            log = server.log_tail()
            assert "Traceback" not in log and "ERROR" not in log, log
    finally:
        rt.close()
