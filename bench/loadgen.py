"""A small HTTP/1.1 load generator (asyncio, keep-alive connections, no dependencies).

Run as its own process so that the server's and the generator's CPU are separate and measurable::

    python bench/loadgen.py --url http://127.0.0.1:PORT --plan plan.json --concurrency 8 \
        --requests 20000 --duration 30 [--warmup 500]

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
        self.encoded = [self._encode(p) for p in plan]

    def _encode(self, item: dict[str, str]) -> bytes:
        body = item["body"].encode()
        head = (f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {item['token']}\r\n"
                f"Content-Type: application/json\r\nX-Forwarded-Proto: https\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        return head.encode() + body

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", required=True, type=Path)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=int, default=0)
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())
    print(json.dumps(run(args.url, plan, concurrency=args.concurrency, requests=args.requests,
                         duration=args.duration, warmup=args.warmup)))


if __name__ == "__main__":
    main()
