"""A small HTTP/1.1 load generator (asyncio, keep-alive connections, no dependencies).

Run as its own process so that the server's and the generator's CPU are separate and measurable::

    python bench/loadgen.py --url http://127.0.0.1:PORT --plan plan.json --concurrency 8 \
        --requests 20000 --duration 30 [--warmup 500]          # closed loop: as fast as answers come
    python bench/loadgen.py --url ... --plan plan.json --rate 100 --duration 30   # open loop: 100 req/s

``plan.json`` is a list of ``{"token", "body"}``; each connection takes the next request of the list
(round robin) and POSTs it to ``/api/v1/pharmacy/authorizations``. The loop is bounded by the request
count AND the duration, whichever comes first. The result is one JSON object on stdout: throughput,
latency percentiles (ms), status counts, errors, and the generator's own CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import percentile

PATH = "/api/v1/pharmacy/authorizations"


def encode_request(item: dict[str, str], path: str = PATH) -> bytes:
    body = item["body"].encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {item['token']}\r\n"
            f"Content-Type: application/json\r\nX-Forwarded-Proto: https\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class Load:
    def __init__(self, host: str, port: int, plan: list[dict[str, str]], *, requests: int, duration: float,
                 path: str = PATH) -> None:
        self.host, self.port, self.plan, self.path = host, port, plan, path
        self.limit, self.duration = requests, duration
        self.next = 0
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.deadline = 0.0
        self.encoded = [encode_request(p, path) for p in plan]

    def take(self) -> bytes | None:
        if self.next >= self.limit or time.monotonic() >= self.deadline:
            return None
        i = self.next
        self.next += 1
        return self.encoded[i % len(self.encoded)]

    async def connection(self) -> None:
        reader = writer = None
        while True:
            request = self.take()
            if request is None:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                assert reader is not None
                start = time.perf_counter()
                writer.write(request)
                status, close = await read_response(reader)
                self.latencies.append(time.perf_counter() - start)
                self.statuses[status] += 1
                if close:
                    writer.close()
                    reader = writer = None
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.errors[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.01)
        if writer is not None:
            writer.close()

    async def run(self, concurrency: int) -> float:
        self.deadline = time.monotonic() + self.duration
        start = time.perf_counter()
        await asyncio.gather(*(self.connection() for _ in range(concurrency)))
        return time.perf_counter() - start


class OpenLoad:
    """Open loop: request ``i`` is due at ``start + i / rate`` whatever happened to the earlier ones (as
    pharmacies send them: nobody waits for another pharmacy's answer). Latency is counted from the moment a
    request was due, not from when a connection was free to send it, so queueing inside the generator is
    part of the figure (no coordinated omission). Idle keep-alive connections are reused; a new one is
    opened when all are busy, up to ``max_connections``, beyond which requests wait (and that wait counts)."""

    def __init__(self, host: str, port: int, plan: list[dict[str, str]], *, rate: float, duration: float,
                 max_connections: int = 64, path: str = PATH) -> None:
        self.host, self.port, self.rate, self.duration = host, port, rate, duration
        self.encoded = [encode_request(p, path) for p in plan]
        self.max_connections = max_connections
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.slots = asyncio.Semaphore(max_connections)
        self.late_ms: list[float] = []

    async def _one(self, i: int, due: float) -> None:
        async with self.slots:
            conn = self.idle.pop() if self.idle else None
            try:
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                    self.opened += 1
                reader, writer = conn
                writer.write(self.encoded[i % len(self.encoded)])
                status, close = await read_response(reader)
                self.latencies.append(time.perf_counter() - due)
                self.statuses[status] += 1
                if close:
                    writer.close()
                else:
                    self.idle.append(conn)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.errors[type(exc).__name__] += 1
                if conn is not None:
                    conn[1].close()

    async def run(self, warm_connections: int = 4) -> float:
        for _ in range(warm_connections):
            self.idle.append(await asyncio.open_connection(self.host, self.port))
            self.opened += 1
        total = int(self.rate * self.duration)
        tasks = []
        start = time.perf_counter()
        for i in range(total):
            due = start + i / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.late_ms.append(-delay * 1000)
            tasks.append(asyncio.create_task(self._one(i, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
        for _reader, writer in self.idle:
            writer.close()
        return elapsed


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    status_line = await reader.readline()
    if not status_line:
        raise asyncio.IncompleteReadError(b"", None)
    status = int(status_line.split()[1])
    length = 0
    close = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    if length:
        await reader.readexactly(length)
    return status, close


def run(url: str, plan: list[dict[str, str]], *, concurrency: int, requests: int, duration: float,
        warmup: int = 0) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if warmup:
        asyncio.run(Load(host, port, plan, requests=warmup, duration=60).run(concurrency))
    load = Load(host, port, plan, requests=requests, duration=duration)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = asyncio.run(load.run(concurrency))
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    lat = sorted(x * 1000 for x in load.latencies)
    done = len(lat)
    ok = sum(n for s, n in load.statuses.items() if 200 <= s < 300)
    return {
        "requests": done, "seconds": round(elapsed, 3), "rps": round(done / elapsed, 1) if elapsed else 0.0,
        "ok": ok, "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
        "errors": dict(load.errors), "concurrency": concurrency,
        "p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2), "max_ms": round(lat[-1], 2) if lat else None,
        "mean_ms": round(sum(lat) / done, 2) if done else None,
        "loadgen_cpu_s": round((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime), 2),
    }


def run_open(url: str, plan: list[dict[str, str]], *, rate: float, duration: float,
             max_connections: int = 64) -> dict[str, object]:
    """An open-loop run at ``rate`` requests per second for ``duration`` seconds."""
    parts = urlsplit(url)
    load = OpenLoad(parts.hostname or "127.0.0.1", parts.port or 80, plan, rate=rate, duration=duration,
                    max_connections=max_connections)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = asyncio.run(load.run())
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    lat = sorted(x * 1000 for x in load.latencies)
    done = len(lat)
    late = sorted(load.late_ms)
    return {
        "mode": "open", "offered_rps": rate, "requests": done, "seconds": round(elapsed, 3),
        "rps": round(done / elapsed, 1) if elapsed else 0.0,
        "ok": sum(n for s, n in load.statuses.items() if 200 <= s < 300),
        "statuses": {str(k): v for k, v in sorted(load.statuses.items())}, "errors": dict(load.errors),
        "connections_opened": load.opened,
        "p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2), "max_ms": round(lat[-1], 2) if lat else None,
        # Requests the generator itself sent late (its event loop was busy): their lateness is in the latency.
        "sent_late": len(late), "sent_late_p99_ms": round(percentile(late, 99), 2) if late else 0.0,
        "loadgen_cpu_s": round((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", required=True, type=Path)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--rate", type=float, default=None,
                        help="open loop: send this many requests per second whatever the answers take")
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())
    if args.rate:
        print(json.dumps(run_open(args.url, plan, rate=args.rate, duration=args.duration)))
        return
    print(json.dumps(run(args.url, plan, concurrency=args.concurrency, requests=args.requests,
                         duration=args.duration, warmup=args.warmup)))


if __name__ == "__main__":
    main()
