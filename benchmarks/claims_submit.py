"""Claim submissions per second through the REST API, one ~300 KB JPEG each, with screening queued but no
worker running; then screening throughput apart (the worker run in-process over the queued jobs).

The server is `shouhou serve --no-worker` in a child process on a fresh home; the load comes from another
process (spawned) holding --concurrency keep-alive connections, each a buyer filing claims back to back.
Every upload differs in one EXIF field, so content addressing stores each one. The target to report
against: ≥ 200 submissions/s with p99 < 100 ms on SQLite.

    .venv/bin/python benchmarks/claims_submit.py [--concurrency 16] [--seconds 20] [--warmup 3]
        [--screen-seconds 30] [--postgres | --database-url URL] [--py-spy OUT.txt]

--postgres creates a scratch database on SHOUHOU_TEST_POSTGRES_URL's server (default the local one) and
drops it afterwards; --database-url uses the given (empty or shouhou-migrated) database as it is.
Results are merged into benchmarks/results/claims_submit.json under the database's dialect.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "claims_submit.json"
TARGET = {"submissions_per_second": 200.0, "p99_ms": 100.0, "database": "sqlite"}
REASON = "屏幕碎了 screen cracked on arrival"


# ----- the load generator (runs in its own process; standard library only, so it starts light)


def _multipart(order_id: str, photo: bytes) -> tuple[bytearray, str]:
    boundary = f"shouhou-bench-{uuid.uuid4().hex}"
    fields = {"order_id": order_id, "reason": REASON, "amount_fen": "19900", "kind": "refund_only"}
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="damage.jpg"\r\n'
                 "Content-Type: image/jpeg\r\n\r\n".encode())
    body = bytearray(b"".join(parts) + photo + f"\r\n--{boundary}--\r\n".encode())
    return body, f"multipart/form-data; boundary={boundary}"


def _connection_loop(
    host: str, port: int, buyer: tuple[str, str], photo: bytes, mark: bytes, serial_prefix: str,
    window: list[float], start: threading.Barrier, out: list[tuple[float, float, int | None]],
) -> None:
    token, order_id = buyer
    body, content_type = _multipart(order_id, photo)
    at = body.find(mark)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    conn = http.client.HTTPConnection(host, port, timeout=60)
    start.wait()
    t_end = window[1]
    n = 0
    while (t0 := time.perf_counter()) < t_end:
        body[at:at + len(mark)] = f"{serial_prefix}{n:0{len(mark) - len(serial_prefix)}d}".encode()
        status: int | None
        try:
            conn.request("POST", "/api/v1/claims", body=bytes(body), headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            status = None
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
        out.append((t0, time.perf_counter(), status))
        n += 1
    conn.close()


def run_load(host: str, port: int, buyers: list[tuple[str, str]], photo: bytes, mark: bytes, concurrency: int,
             warmup: float, seconds: float, results: Any) -> None:
    """Entry point of the load process: puts the window, every (start, end, status) and its CPU time on
    `results`."""
    cpu0 = os.times()
    start = threading.Barrier(concurrency + 1)
    window = [0.0, 0.0]  # (end of warm-up, end of load), set just before the connections are let go
    samples: list[list[tuple[float, float, int | None]]] = [[] for _ in range(concurrency)]
    threads = [
        threading.Thread(target=_connection_loop, daemon=True, args=(
            host, port, buyers[i % len(buyers)], photo, mark, f"c{i:03d}-", window, start, samples[i]))
        for i in range(concurrency)
    ]
    for th in threads:
        th.start()
    now = time.perf_counter()
    window[:] = [now + warmup, now + warmup + seconds]
    start.wait()
    for th in threads:
        th.join()
    cpu1 = os.times()
    results.put({"t_warm": window[0], "t_end": window[1], "samples": [x for per in samples for x in per],
                 "cpu_seconds": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)})


# ----- the server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process and its children that are alive (Linux /proc): with --server-workers
    the API processes are children of the one started here."""
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def start_server(env: dict[str, str], log: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from shouhou.cli.app import main; main()", "serve", "--no-worker",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server not healthy within 60 s:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ----- statistics and reporting


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def submission_stats(load: dict[str, Any]) -> dict[str, Any]:
    """Throughput counts answers that arrived inside the window; latency covers requests started inside it."""
    t_warm, t_end = load["t_warm"], load["t_end"]
    measured = [(t0, t1, st) for t0, t1, st in load["samples"] if t0 >= t_warm]
    ok_in_window = [1 for _t0, t1, st in load["samples"] if st == 201 and t_warm <= t1 < t_end]
    latencies = sorted((t1 - t0) * 1000 for t0, t1, st in measured if st == 201)
    errors: dict[str, int] = {}
    for _t0, _t1, st in measured:
        if st != 201:
            errors[str(st)] = errors.get(str(st), 0) + 1
    window = t_end - t_warm
    return {
        "window_seconds": round(window, 3),
        "accepted_in_window": len(ok_in_window),
        "submissions_per_second": round(len(ok_in_window) / window, 1),
        "latency_ms": {name: round(_percentile(latencies, p), 1)
                       for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
        "latency_ms_mean": round(sum(latencies) / len(latencies), 1) if latencies else None,
        "errors": sum(errors.values()),
        "errors_by_status": errors,
        "requests_total": len(load["samples"]),
    }


def machine_facts(dialect: str, database_version: str) -> dict[str, Any]:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "database": dialect,
        "database_version": database_version,
    }


def summarise_py_spy(raw: Path, top: int = 25) -> list[tuple[str, float, float]]:
    """(function, inclusive %, self %) from py-spy's collapsed stacks, busiest first."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        count = int(count_s)
        total += count
        frames = [f.split(" (")[0] + " " + f.split(" (")[-1].rstrip(")").split(":")[0].rsplit("/", 1)[-1]
                  for f in stack.split(";")]
        for f in set(frames):
            inclusive[f] = inclusive.get(f, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    return [(f, 100 * n / total, 100 * own.get(f, 0) / total)
            for f, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]] if total else []


# ----- screening throughput, in-process after the server has stopped


def screen_queued(settings: Any, budget_s: float) -> dict[str, Any]:
    from shouhou.api.app import build_worker
    from shouhou.runtime import Runtime

    rt = Runtime.open(settings)
    worker, holder = build_worker(rt)
    try:
        with rt.uow(write=False) as uow:
            queued = uow.jobs.count(state="queued")
        t_start = time.perf_counter()
        first = None
        times = []
        while time.perf_counter() - t_start < budget_s:
            t0 = time.perf_counter()
            if not worker.run_once():
                break
            dt = time.perf_counter() - t0
            if first is None:
                first = dt  # includes loading the engine and the reuse index
            else:
                times.append(dt)
        with rt.uow(write=False) as uow:
            left, failed = uow.jobs.count(state="queued"), uow.jobs.count(state="failed")
    finally:
        holder.close()
        rt.close()
    steady = sum(times)
    return {
        "jobs_queued_at_start": queued,
        "photos_screened": len(times) + (first is not None),
        "first_job_seconds": round(first, 3) if first is not None else None,
        "photos_per_second": round(len(times) / steady, 2) if steady else None,
        "seconds_per_photo_mean": round(steady / len(times), 3) if times else None,
        "jobs_left_queued": left,
        "jobs_failed": failed,
        "cores_used": 1,
    }


# ----- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", type=int, default=16, help="concurrent connections (default 16)")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured window (default 20)")
    ap.add_argument("--warmup", type=float, default=3.0, help="load before the window (default 3)")
    ap.add_argument("--screen-seconds", type=float, default=30.0, help="screening budget (default 30)")
    db = ap.add_mutually_exclusive_group()
    db.add_argument("--database-url", help="run against this database (default: SQLite in the fresh home)")
    db.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database, dropped after")
    ap.add_argument("--home", type=Path, help="data folder (default: a new temporary folder, removed after)")
    ap.add_argument("--py-spy", type=Path, dest="py_spy", help="profile the server during the window "
                    "with py-spy (must be on PATH or in the venv) into this collapsed-stack file")
    ap.add_argument("--no-fsync", action="store_true",
                    help="diagnosis only: evidence files are not fsynced before the claim commits")
    ap.add_argument("--server-workers", type=int, default=1, help="API processes (`serve --workers`)")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args()

    sys.path.insert(0, str(HERE))
    import claims_setup as cs

    home = args.home or Path(tempfile.mkdtemp(prefix="shouhou-bench-"))
    scratch_db = None
    url = args.database_url
    if args.postgres:
        url, scratch_db = cs.create_scratch_postgres()
    try:
        result = _run(args, cs, home, url)
    finally:
        if scratch_db:
            cs.drop_scratch_postgres(scratch_db)
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    _write(args.output, result)
    _print(result)


def _run(args: argparse.Namespace, cs: Any, home: Path, url: str | None) -> dict[str, Any]:
    site = cs.new_site(home, url)
    photo, quality = cs.claim_photo()
    print(f"set-up: {args.concurrency} buyers, claim photo {len(photo)} bytes (JPEG q{quality}), home {home}",
          flush=True)
    cs.populate(site, buyers=args.concurrency, listing_jpeg=cs.listing_photo())
    dialect = "postgresql" if site.settings.database_url_or_default.startswith("postgresql") else "sqlite"
    db_version = cs.postgres_version(site.settings.database_url_or_default) if dialect == "postgresql" \
        else sqlite3.sqlite_version

    if args.no_fsync:
        site.env["SHOUHOU_FSYNC_BLOBS"] = "false"
    proc, port = start_server(site.env, home / "server.log", args.server_workers)
    profiler = None
    try:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        client = ctx.Process(target=run_load, args=("127.0.0.1", port, site.buyers, photo, cs.MARK,
                                                    args.concurrency, args.warmup, args.seconds, queue))
        cpu0 = _cpu_seconds(proc.pid)
        t0 = time.perf_counter()
        client.start()
        if args.py_spy:
            profiler = _start_py_spy(proc.pid, args.py_spy, delay=args.warmup + 2.0,
                                     seconds=args.seconds - 2.0)
        load = queue.get(timeout=args.warmup + args.seconds + 300)
        client.join(timeout=60)
        wall = time.perf_counter() - t0
        cpu1 = _cpu_seconds(proc.pid)
        if profiler is not None:
            profiler.wait(timeout=args.seconds + 60)
    finally:
        stop_server(proc)
    stats = submission_stats(load)
    accepted_total = sum(1 for _t0, _t1, st in load["samples"] if st == 201)
    stats["accepted_total"] = accepted_total  # warm-up included: each one must have queued a screening job
    if cpu0 is not None and cpu1 is not None:
        stats["server_cpu_cores_busy"] = round((cpu1 - cpu0) / wall, 2)
        stats["server_cpu_ms_per_submission"] = round(1000 * (cpu1 - cpu0) / max(accepted_total, 1), 1)
    stats["client_cpu_cores_busy"] = round(load["cpu_seconds"] / wall, 2)
    print(f"submissions done: {stats['submissions_per_second']}/s; screening queued jobs …", flush=True)
    screening = screen_queued(site.settings, args.screen_seconds)
    if screening["jobs_queued_at_start"] != accepted_total:
        print(f"warning: {accepted_total} claims accepted but {screening['jobs_queued_at_start']} "
              "screening jobs queued", file=sys.stderr)
    result: dict[str, Any] = {
        "machine": machine_facts(dialect, db_version),
        "setup": {
            "concurrency": args.concurrency, "warmup_seconds": args.warmup, "window_seconds": args.seconds,
            "photo_bytes": len(photo), "photo_jpeg_quality": quality, "photos_per_claim": 1,
            "server": f"shouhou serve --no-worker --workers {args.server_workers} (uvicorn)",
            "load": "1 spawned process, http.client keep-alive connections, one buyer each",
            "fsync_blobs": site.settings.fsync_blobs, "home_filesystem": _filesystem(home),
        },
        "submissions": stats,
        "screening": screening,
        "target": {**TARGET, "met": stats["submissions_per_second"] >= TARGET["submissions_per_second"]
                   and stats["latency_ms"]["p99"] < TARGET["p99_ms"]},
    }
    if args.py_spy and args.py_spy.is_file():
        result["profile_top"] = [{"function": f, "inclusive_pct": round(i, 1), "self_pct": round(s, 1)}
                                 for f, i, s in summarise_py_spy(args.py_spy)]
    return result


def _start_py_spy(pid: int, out: Path, *, delay: float, seconds: float) -> subprocess.Popen[bytes] | None:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(exe).exists():
        print("py-spy not found: no profile", file=sys.stderr)
        return None
    time.sleep(delay)  # profile the measured window, not the warm-up
    cmd = [exe, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
           "--format", "raw", "--nonblocking", "--output", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _filesystem(path: Path) -> str:
    best = ("", "?")
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            _dev, mount, fstype, *_ = line.split()
            if str(path.resolve()).startswith(mount) and len(mount) >= len(best[0]):
                best = (mount, fstype)
    return f"{best[1]} ({best[0]})"


def _write(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existing: dict[str, Any] = {}
    if path.is_file():
        with contextlib.suppress(ValueError):
            existing = json.loads(path.read_text())
    existing[result["machine"]["database"]] = result
    path.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")


def _print(result: dict[str, Any]) -> None:
    s, scr, m = result["submissions"], result["screening"], result["machine"]
    lat = s["latency_ms"]
    rows = [
        ("database", f"{m['database']} {m['database_version']}"),
        ("machine", f"{m['cores_usable']} cores, {m['cpu']}, Python {m['python']}"),
        ("concurrency", str(result["setup"]["concurrency"])),
        ("submissions/s", f"{s['submissions_per_second']}  "
                          f"(target ≥ {TARGET['submissions_per_second']:.0f})"),
        ("latency p50/p90/p99/max", f"{lat['p50']} / {lat['p90']} / {lat['p99']} / {lat['max']} ms  "
                                    f"(target p99 < {TARGET['p99_ms']:.0f})"),
        ("errors", f"{s['errors']} {s['errors_by_status'] or ''}"),
        ("CPU busy server/client", f"{s.get('server_cpu_cores_busy')} / {s['client_cpu_cores_busy']} cores "
                                   f"({s.get('server_cpu_ms_per_submission')} ms server CPU per submission)"),
        ("screening photos/s", f"{scr['photos_per_second']}  ({scr['photos_screened']} screened, 1 core, "
                               f"first job {scr['first_job_seconds']} s)"),
        ("target met", str(result["target"]["met"])),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    for row in result.get("profile_top", [])[:15]:
        print(f"  {row['inclusive_pct']:5.1f}% incl {row['self_pct']:5.1f}% self  {row['function']}")


if __name__ == "__main__":
    main()
