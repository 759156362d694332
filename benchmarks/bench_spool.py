"""Benchmark the spool and the sender: hook write latency, delivery throughput, memory.

    python benchmarks/bench_spool.py [--writes 5000] [--deliver 20000] [--backlog 100000]

* write latency: ``Outbox.put`` (what a listener hook pays), fsync off and on;
* throughput: one flush delivering ``--deliver`` spooled events to a local
  Receiver running in its own process (so it does not share our GIL);
* memory: a child process flushes a ``--backlog`` spool; its peak traced
  Python memory (tracemalloc) and its ru_maxrss growth are reported.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from secoda_listener.delivery.endpoint import Endpoint  # noqa: E402
from secoda_listener.delivery.outbox import Outbox, Placement  # noqa: E402
from secoda_listener.delivery.record import Route, SpoolRecord  # noqa: E402
from secoda_listener.delivery.spool import Spool  # noqa: E402

KEY = "bench-key"
SQL = "INSERT INTO analytics.daily_orders SELECT o.id, o.amount FROM raw.orders o WHERE o.day = '2024-01-01' " * 4


def record(i: int) -> SpoolRecord:
    return SpoolRecord(
        event_id=str(uuid.uuid4()),
        conn_id="secoda_default",
        route=Route.INGEST,
        created_at=time.time(),
        body={
            "event_type": "task_success",
            "dag": {"dag_id": "bench"},
            "task_instance": {"dag_id": "bench", "task_id": f"t{i % 50}", "sql": SQL, "try_number": 1},
            "lineage": {
                "inputs": [{"namespace": "postgres://db", "name": "raw.orders"}],
                "outputs": [{"namespace": "postgres://db", "name": "analytics.daily_orders"}],
            },
        },
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_writes(root: Path, n: int, fsync: bool) -> dict[str, tuple[float, float]]:
    """p50/p99 (ms) of ``Outbox.put`` and, interleaved so both see the same disk
    weather, of the filesystem's own create + write + rename (the floor)."""
    outbox = Outbox(
        root / f"w-{fsync}", resolve_endpoint=lambda c: Endpoint("http://127.0.0.1:9/", KEY, "x"), fsync=fsync
    )
    raw = root / f"raw-{fsync}"
    raw.mkdir()
    records = [record(i) for i in range(n)]
    data = records[0].to_json()
    outbox.put(records[0])  # first put creates the spool
    put_times, raw_times = [], []
    for i, rec in enumerate(records[1:]):
        started = time.perf_counter()
        answer = outbox.put(rec)
        put_times.append(time.perf_counter() - started)
        assert answer.placement is Placement.SPOOLED, answer
        started = time.perf_counter()
        fd = os.open(raw / f"{i}.tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
        os.close(fd)
        os.rename(raw / f"{i}.tmp", raw / f"{i}.json")
        raw_times.append(time.perf_counter() - started)
    return {
        name: (percentile(values, 0.5) * 1e3, percentile(values, 0.99) * 1e3)
        for name, values in (("put", put_times), ("raw", raw_times))
    }


def start_receiver(root: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "secoda_listener",
            "receiver",
            "--port",
            "0",
            "--store",
            str(root / "store.jsonl"),
            "--api-key",
            KEY,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    line = proc.stdout.readline()
    return proc, line.split()[2]


def fill(directory: Path, n: int) -> None:
    spool = Spool(directory, fsync=False, max_files=n + 10, max_bytes=10 * 1024**3)
    for i in range(n):
        spool.write(record(i))


_FLUSH_CHILD = """
import json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[4])
from secoda_listener.delivery.endpoint import Endpoint  # noqa: E402
from secoda_listener.delivery.sender import Sender  # noqa: E402
from secoda_listener.delivery.spool import Spool  # noqa: E402
from secoda_listener.delivery.transport import Transport  # noqa: E402
trace = sys.argv[5] == "trace"
timeout = float(sys.argv[6])
spool = Spool(sys.argv[1], fsync=False, max_files=10**7, max_bytes=10 * 1024**3)
endpoint = Endpoint(sys.argv[2], sys.argv[3], "it-1")
sender = Sender(spool, lambda c: endpoint, Transport(), request_timeout=10)
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if trace:
    tracemalloc.start()
started = time.perf_counter()
result = sender.flush(timeout, ignore_backoff=True)
elapsed = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1] if trace else 0
print(json.dumps({"sent": result.sent, "remaining": result.remaining, "elapsed": elapsed, "peak_traced": peak,
                  "rss_before_kb": rss_before,
                  "rss_after_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def flush_child(directory: Path, url: str, trace: bool, timeout: float = 3600) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _FLUSH_CHILD,
            str(directory),
            url,
            KEY,
            str(REPO),
            "trace" if trace else "plain",
            str(timeout),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def set_faults(url: str, faults: list | None) -> None:
    import requests

    control = url.split("/api/v1/")[0] + "/_control/faults"
    if faults is None:
        requests.delete(control, timeout=5).raise_for_status()
    else:
        requests.post(control, json=faults, timeout=5).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=5000)
    parser.add_argument("--deliver", type=int, default=20000)
    parser.add_argument("--backlog", type=int, default=100000)
    parser.add_argument(
        "--dir",
        default=None,
        help="where to put the spools (default: $TMPDIR); use the filesystem the real spool lives on",
    )
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-spool-", dir=args.dir))
    receiver, url = start_receiver(root)
    try:
        off = bench_writes(root, args.writes, fsync=False)
        on = bench_writes(root, max(200, args.writes // 5), fsync=True)

        fill(root / "deliver", args.deliver)
        delivery = flush_child(root / "deliver", url, trace=False)
        assert delivery["sent"] == args.deliver, delivery

        fill(root / "backlog", args.backlog)
        # A task's end-of-run flush while Secoda is slow and failing, on the full backlog.
        set_faults(url, [{"status": 503, "delay": 0.3, "times": 10**9}])
        bounded = flush_child(root / "backlog", url, trace=False, timeout=2.0)
        set_faults(url, None)
        memory = flush_child(root / "backlog", url, trace=True)
        assert memory["sent"] == args.backlog, memory
    finally:
        receiver.terminate()
        receiver.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)

    rows = [
        ("hook write (Outbox.put) p50 / p99, fsync off", "{:.3f} / {:.3f} ms".format(*off["put"]), "p99 < 1 ms"),
        ("  same disk, bare create+write+rename p50 / p99", "{:.3f} / {:.3f} ms".format(*off["raw"]), "floor"),
        ("hook write (Outbox.put) p50 / p99, fsync on", "{:.3f} / {:.3f} ms".format(*on["put"]), "reported"),
        ("  same disk, bare create+write+fsync+rename p50 / p99", "{:.3f} / {:.3f} ms".format(*on["raw"]), "floor"),
        (
            f"delivery throughput ({args.deliver:,} events, 1 flush)",
            f"{delivery['sent'] / delivery['elapsed']:,.0f} events/s",
            ">= 1,000/s",
        ),
        (
            f"flush(2 s) wall time, {args.backlog:,} backlog, Secoda slow + 503",
            f"{bounded['elapsed']:.2f} s (sent {bounded['sent']})",
            "~2 s",
        ),
        (
            f"peak traced memory flushing {args.backlog:,} events",
            f"{memory['peak_traced'] / 2**20:.1f} MiB",
            "paths + 1 batch",
        ),
        (
            f"ru_maxrss growth flushing {args.backlog:,} events (tracing on)",
            f"{(memory['rss_after_kb'] - memory['rss_before_kb']) / 1024:.1f} MiB "
            f"(total {memory['rss_after_kb'] / 1024:.0f} MiB)",
            "bounded",
        ),
        (
            f"throughput under tracemalloc ({args.backlog:,} events)",
            f"{memory['sent'] / memory['elapsed']:,.0f} events/s",
            "-",
        ),
    ]
    print(f"spools under {root.parent} ({os.cpu_count()} CPUs)\n")
    print("| measure | result | target |\n| --- | --- | --- |")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")


if __name__ == "__main__":
    main()
