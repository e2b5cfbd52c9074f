"""Liveness of a KCL consumer pod: fail when it holds leases but has completed no batch for too long.

A stalled KCL worker logs nothing and keeps serving /metrics, so an HTTP probe would pass. This reads the
consumer's own figure instead: `tslake_consumer_seconds_since_last_batch`, computed by the supervisor at
scrape time from the processors' `tslake_consumer_last_successful_batch_timestamp_seconds` (empty polls
count as batches; a worker holding no lease, such as a standby replica, reports 0). If that figure is
missing, the timestamp itself is compared with the clock, for workers that own a shard.
Standard library only: it runs as an exec probe every 30 s. Exit 0 healthy, 1 stalled or unreachable.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request

LAST_SUCCESS = "tslake_consumer_last_successful_batch_timestamp_seconds"
SECONDS_SINCE = "tslake_consumer_seconds_since_last_batch"
SHARDS_OWNED = "tslake_consumer_shards_owned"


def samples(text: str) -> dict[str, list[float]]:
    """Metric name -> sample values, from the Prometheus text format (labels ignored)."""
    found: dict[str, list[float]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_part, _, rest = line.rpartition("}") if "}" in line else line.partition(" ")
        name = name_part.split("{", 1)[0].strip()
        fields = rest.split()
        if not fields:
            continue
        try:
            found.setdefault(name, []).append(float(fields[0]))
        except ValueError:
            continue
    return found


def check(text: str, max_seconds: float, now: float) -> tuple[bool, str]:
    values = samples(text)
    if values.get(SECONDS_SINCE):
        age = max(values[SECONDS_SINCE])
    elif sum(values.get(SHARDS_OWNED, [])) <= 0:
        return True, "owns no shard (standby or starting)"
    elif values.get(LAST_SUCCESS):
        age = now - max(values[LAST_SUCCESS])
    else:
        return False, f"neither {SECONDS_SINCE} nor {LAST_SUCCESS} is exported"
    if age > max_seconds:
        return False, f"stalled: {age:.0f}s since the last successful batch (limit {max_seconds:.0f}s)"
    return True, f"{age:.0f}s since the last successful batch"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    url = f"http://127.0.0.1:{args.port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:
            text = response.read().decode("utf-8", "replace")
    except OSError as exc:
        print(f"liveness: {url} unreachable: {exc}", file=sys.stderr)
        return 1
    healthy, reason = check(text, args.max_seconds, time.time())
    print(f"liveness: {reason}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
