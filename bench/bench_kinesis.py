"""Kinesis PutRecords/GetRecords throughput through `tslake local up` as one shard fills to 1M records.

Baseline, same run: stock moto 5.2.5 (a second endpoint process with `--no-kinesis-fix`). Stock moto is
O(n) per record, so filling it to 100k over HTTP alone takes minutes; instead our endpoint fills a
stream to 90k and persists it (`--data-dir`), and the stock endpoint restores that snapshot (moto's own
data structures, unchanged by the patch) and is measured at 0 (fresh stream) and at 90k.

The client sends pre-built, pre-signed HTTP/1.1 requests over one keep-alive connection, so boto3's own
CPU (~5 ms per call) does not hide the server's. The endpoint's CPU time per record (from /proc) is
reported beside wall-clock rates: on a shared 2-core machine it is the steadier of the two.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import Figure, Report
from tslake.local.process import EndpointProcess, start_endpoint

BATCH = 500  # records per PutRecords (the API maximum)
TOTAL = 1_000_000
WINDOW = 5_000  # records per measured window at 0 and at 90k (stock moto takes ~2 ms per record at 90k)
PREFILL = 90_000
GET_LIMIT = 10_000  # records per GetRecords (the API maximum)
WINDOW_GET_LIMIT = 1_000  # smaller pages inside the 10k windows, so each window is 10 calls
PAYLOAD_BYTES = 100  # about one sensor reading as JSON


def _signed_headers(endpoint: EndpointProcess, target: str, body: bytes) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    env = endpoint.env()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Kinesis_20131202.{target}"}
    request = AWSRequest(method="POST", url=endpoint.url + "/", data=body, headers=headers)
    credentials = Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    SigV4Auth(credentials, "kinesis", env["AWS_REGION"]).add_auth(request)
    return dict(request.headers.items())


@dataclass
class Phase:
    records: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def cpu_us_per_record(self) -> float:
        return self.cpu_seconds / self.records * 1e6


class Client:
    """Pre-signed requests on one keep-alive connection (moto checks neither signatures nor their age)."""

    def __init__(self, endpoint: EndpointProcess) -> None:
        self.endpoint = endpoint
        self.connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=600)
        data = base64.b64encode(os.urandom(PAYLOAD_BYTES * 3 // 4)).decode()
        records = [
            {"Data": base64.b64encode(data.encode()).decode(), "PartitionKey": f"s{i:04d}"} for i in range(BATCH)
        ]
        self.put_bodies: dict[str, tuple[bytes, dict[str, str]]] = {}
        self._records = records

    def call(self, target: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
        headers = headers or _signed_headers(self.endpoint, target, body)
        self.connection.request("POST", "/", body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{target} answered {response.status}: {data[:300]!r}")
        return data

    def create_stream(self, stream: str) -> str:
        kinesis = self.endpoint.client("kinesis")
        kinesis.create_stream(StreamName=stream, ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})
        return str(kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"])

    def put(self, stream: str, calls: int) -> None:
        if stream not in self.put_bodies:
            body = json.dumps({"StreamName": stream, "Records": self._records}).encode()
            self.put_bodies[stream] = (body, _signed_headers(self.endpoint, "PutRecords", body))
        body, headers = self.put_bodies[stream]
        for _ in range(calls):
            self.call("PutRecords", body, headers)

    def iterator(self, stream: str, shard_id: str, after: int | None = None) -> str:
        request: dict[str, Any] = {"StreamName": stream, "ShardId": shard_id, "ShardIteratorType": "TRIM_HORIZON"}
        if after:
            request |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": str(after)}
        return str(json.loads(self.call("GetShardIterator", json.dumps(request).encode()))["ShardIterator"])

    def get(self, iterator: str, calls: int, limit: int) -> tuple[str, int]:
        read = 0
        for _ in range(calls):
            page = json.loads(self.call("GetRecords", json.dumps({"ShardIterator": iterator, "Limit": limit}).encode()))
            read += len(page["Records"])
            iterator = page["NextShardIterator"]
        return iterator, read

    def measure(self, records: int, work: Callable[[], object]) -> Phase:
        cpu, wall = _server_cpu_seconds(self.endpoint.pid), time.perf_counter()
        work()
        return Phase(records, time.perf_counter() - wall, _server_cpu_seconds(self.endpoint.pid) - cpu)

    def close(self) -> None:
        self.connection.close()


def _server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _window(client: Client, stream: str, shard_id: str, start: int) -> dict[str, Phase]:
    """Put 5k records onto a shard holding `start`, then read them back (1,000 per GetRecords)."""
    put = client.measure(WINDOW, lambda: client.put(stream, WINDOW // BATCH))
    iterator = client.iterator(stream, shard_id, after=start)
    holder: dict[str, int] = {}

    def read() -> None:
        holder["read"] = client.get(iterator, WINDOW // WINDOW_GET_LIMIT, WINDOW_GET_LIMIT)[1]

    get = client.measure(WINDOW, read)
    if holder["read"] != WINDOW:
        raise RuntimeError(f"read {holder['read']} of {WINDOW} records at {start}")
    return {"put": put, "get": get}


def _ours(data_dir: Path, log: Path) -> dict[str, Phase]:
    endpoint = start_endpoint(data_dir=data_dir, log_path=log)
    try:
        client = Client(endpoint)
        out: dict[str, Phase] = {}
        shard = client.create_stream("bench-1m")
        calls, tenth = TOTAL // BATCH, TOTAL // BATCH // 10
        out["put_first"] = client.measure(TOTAL // 10, lambda: client.put("bench-1m", tenth))
        client.put("bench-1m", calls - 2 * tenth)
        out["put_last"] = client.measure(TOTAL // 10, lambda: client.put("bench-1m", tenth))
        iterator = client.iterator("bench-1m", shard)
        gets, get_tenth = TOTAL // GET_LIMIT, TOTAL // GET_LIMIT // 10
        state = {"iterator": iterator}

        def read(calls: int) -> None:
            state["iterator"], count = client.get(state["iterator"], calls, GET_LIMIT)
            if count != calls * GET_LIMIT:
                raise RuntimeError(f"read {count} of {calls * GET_LIMIT}")

        out["get_first"] = client.measure(TOTAL // 10, lambda: read(get_tenth))
        read(gets - 2 * get_tenth)
        out["get_last"] = client.measure(TOTAL // 10, lambda: read(get_tenth))
        endpoint.client("kinesis").delete_stream(StreamName="bench-1m")  # keep the snapshot small

        # The same window at 90k stock moto is measured on, and the 90k prefill it restores.
        shard = client.create_stream("bench-prefilled")
        client.put("bench-prefilled", PREFILL // BATCH)
        window = _window(client, "bench-prefilled", shard, PREFILL)
        out["put_at_90k"], out["get_at_90k"] = window["put"], window["get"]
        endpoint.client("kinesis").delete_stream(StreamName="bench-prefilled")
        shard = client.create_stream("bench-prefilled")
        client.put("bench-prefilled", PREFILL // BATCH)
        client.close()
    finally:
        endpoint.stop(timeout=120)  # saves the snapshot with the 90k stream
    return out


def _stock(data_dir: Path, log: Path) -> dict[str, Phase]:
    endpoint = start_endpoint(data_dir=data_dir, log_path=log, extra_args=["--no-kinesis-fix"], timeout=120)
    try:
        client = Client(endpoint)
        shard = client.create_stream("bench-fresh")
        first = _window(client, "bench-fresh", shard, 0)
        shard = endpoint.client("kinesis").list_shards(StreamName="bench-prefilled")["Shards"][0]["ShardId"]
        at_90k = _window(client, "bench-prefilled", shard, PREFILL)
        client.close()
    finally:
        endpoint.stop(timeout=120)
    return {
        "put_first": first["put"],
        "get_first": first["get"],
        "put_at_90k": at_90k["put"],
        "get_at_90k": at_90k["get"],
    }


def run(report: Report) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-kinesis-") as tmp:
        data_dir, log = Path(tmp) / "data", Path(tmp) / "endpoint.log"
        ours = _ours(data_dir, log)
        stock = _stock(data_dir, log)
    for op, name in (("put", "PutRecords"), ("get", "GetRecords")):
        first, last = ours[f"{op}_first"], ours[f"{op}_last"]
        flat = f"flat to {TOTAL:,}: ratio >= 0.5"
        of = f"10% of {TOTAL:,}"
        report.add(Figure(f"kinesis {name} rec/s, last {of}", last.rate, "rec/s", f"first {of}", first.rate, goal=flat))
        report.add(
            Figure(
                f"kinesis {name} server CPU/rec, last {of}",
                last.cpu_us_per_record,
                "us",
                f"first {of}",
                first.cpu_us_per_record,
                higher_is_better=False,
                goal=flat,
            )
        )
        report.add(
            Figure(
                f"kinesis {name} rec/s at 90k",
                ours[f"{op}_at_90k"].rate,
                "rec/s",
                "stock moto at 90k",
                stock[f"{op}_at_90k"].rate,
                goal="faster than stock moto",
                notes={
                    "server_cpu_us_per_record": round(ours[f"{op}_at_90k"].cpu_us_per_record, 1),
                    "stock_server_cpu_us_per_record": round(stock[f"{op}_at_90k"].cpu_us_per_record, 1),
                },
            )
        )
        report.add(
            Figure(
                f"stock moto {name} rec/s at 90k (contrast)",
                stock[f"{op}_at_90k"].rate,
                "rec/s",
                "stock moto at 0",
                stock[f"{op}_first"].rate,
                goal="none: shows stock moto slowing down as the shard fills",
            )
        )
    print(f"   bench_kinesis took {time.perf_counter() - started:.0f}s", flush=True)
