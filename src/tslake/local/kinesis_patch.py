"""Make moto's Kinesis O(batch) per call, and its resharding behave like AWS. Installed by `tslake local up`.

Stock moto 5.2.5 (`moto/kinesis/models.py`):
- `Shard.put_record` finds the last sequence number with `list(self.records.keys())[-1]`: O(n) per record,
  so PutRecords throughput collapses as a shard fills (~5k -> ~400 records/s after ~80k records).
- `Shard.get_records` walks the shard from its first record on every call: O(n) per GetRecords.
- `GetRecords` without `Limit` returns the whole shard (AWS: at most 10,000 records / 10 MB).
- Resharding: `Stream.get_shard_for_key` also matches CLOSED shards, which come first, so after a split
  every record (the moved ones too) lands in the closed parent and the children stay empty; and a closed
  shard never ends (`NextShardIterator` is never null), so a KCL consumer never reaches SHARD_END.

- Responses go through moto's generic, model-driven serializer: ~2/3 of PutRecords' server CPU. For the
  JSON protocol (what boto3 and the KCL with `-Daws.cborEnabled=false` send) PutRecords and GetRecords
  answer the same JSON, built directly; anything else (CBOR) still takes the stock path.

The fix relies on one moto invariant: a shard's `records` is an insertion-ordered dict keyed by
contiguous integer sequence numbers (`put_record` always writes last + 1). Where that does not hold the
stock function runs instead, so behaviour is never lost, only speed. After a split or merge, parents
keep their records and children start empty (as in AWS); writes go to open shards only.
"""

from __future__ import annotations

import base64
import calendar
import inspect
import json
from base64 import b64decode
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from moto.kinesis import models
from moto.kinesis.exceptions import InvalidArgumentError
from moto.kinesis.responses import KinesisResponse
from moto.kinesis.utils import compose_shard_iterator, decompose_shard_iterator
from moto.utilities.utils import md5_hash

GET_RECORDS_DEFAULT_LIMIT = 10_000  # AWS default and maximum for GetRecords.Limit
GET_RECORDS_MAX_BYTES = 10 * 1024 * 1024  # AWS: a GetRecords response carries at most 10 MB

# (class, attribute) -> the parameter names of the moto function we replace. A moto upgrade that changes
# any of them fails `check_compatible()` (and the regression test) instead of silently misbehaving.
EXPECTED_SIGNATURES: dict[tuple[type, str], tuple[str, ...]] = {
    (models.Shard, "put_record"): ("self", "partition_key", "data", "explicit_hash_key"),
    (models.Shard, "get_records"): ("self", "last_sequence_id", "limit"),
    (models.Shard, "get_min_sequence_number"): ("self",),
    (models.Shard, "get_max_sequence_number"): ("self",),
    (models.Shard, "get_sequence_number_at"): ("self", "at_timestamp"),
    (models.Stream, "get_shard_for_key"): ("self", "partition_key", "explicit_hash_key"),
    (models.Stream, "split_shard"): ("self", "shard_to_split", "new_starting_hash_key"),
    (models.Stream, "merge_shards"): ("self", "shard_to_merge", "adjacent_shard_to_merge"),
    (models.KinesisBackend, "get_records"): ("self", "stream_arn", "shard_iterator", "limit"),
    (models.KinesisBackend, "put_records"): ("self", "stream_arn", "stream_name", "records"),
    (KinesisResponse, "put_records"): ("self",),
    (KinesisResponse, "get_records"): ("self",),
    (KinesisResponse, "_get_param"): ("self", "param_name", "if_none"),
}
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


class KinesisPatchError(RuntimeError):
    """moto's Kinesis models no longer look like the ones the patch was written for."""


_ORIGINALS: dict[tuple[type, str], Callable[..., Any]] = {}


def _original(cls: type, name: str) -> Callable[..., Any] | None:
    return _ORIGINALS.get((cls, name)) or getattr(cls, name, None)


def check_compatible() -> None:
    """Raise `KinesisPatchError` naming every moto function whose shape changed."""
    problems = []
    for (cls, name), expected in EXPECTED_SIGNATURES.items():
        function = _original(cls, name)
        if function is None or not callable(function):
            problems.append(f"moto.kinesis.models.{cls.__name__}.{name} no longer exists")
            continue
        actual = tuple(inspect.signature(function).parameters)
        if actual != expected:
            problems.append(f"moto.kinesis.models.{cls.__name__}.{name}{actual} (expected {expected})")
    if not isinstance(models.Shard(0, 0, 1).records, dict):
        problems.append("moto.kinesis.models.Shard.records is no longer a dict")
    if problems:
        raise KinesisPatchError(
            "the moto Kinesis performance patch (tslake.local.kinesis_patch) does not fit this moto version: "
            + "; ".join(problems)
        )


def _contiguous(records: dict[int, Any]) -> tuple[int, int] | None:
    """(first, last) sequence numbers if the keys are exactly first..last, else None."""
    if not records:
        return None
    first = next(iter(records))
    last = next(reversed(records))
    if not isinstance(first, int) or not isinstance(last, int) or last - first + 1 != len(records):
        return None
    return first, last


def _record_size(record: Any) -> int:
    data = record.data
    if isinstance(data, str):
        size = len(data) * 3 // 4 - (2 if data.endswith("==") else 1 if data.endswith("=") else 0)
    else:
        size = len(b64decode(data))
    return size + len(record.partition_key or "")


def shard_put_record(self: Any, partition_key: str, data: str, explicit_hash_key: str) -> str:
    records = self.records
    sequence_number = next(reversed(records)) + 1 if records else 1
    # Not through BaseModel.__new__, which appends every instance to a process-wide list (read only by
    # moto's /moto-api dashboard): that list would keep every record of a deleted stream alive.
    record = object.__new__(models.Record)
    models.Record.__init__(record, partition_key, data, sequence_number, explicit_hash_key)
    records[sequence_number] = record
    return str(sequence_number)


def shard_get_min_sequence_number(self: Any) -> int:
    return next(iter(self.records)) if self.records else 0


def shard_get_max_sequence_number(self: Any) -> int:
    return next(reversed(self.records)) if self.records else 0


def shard_get_records(self: Any, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
    """Walk forward from the iterator's position: O(records returned), not O(shard)."""
    records = self.records
    bounds = _contiguous(records)
    if bounds is None:
        if not records:
            return [], int(last_sequence_id), 0
        return _ORIGINALS[(models.Shard, "get_records")](self, last_sequence_id, limit)
    first, last = bounds
    limit = GET_RECORDS_DEFAULT_LIMIT if limit is None else max(1, min(int(limit), GET_RECORDS_DEFAULT_LIMIT))
    position = int(last_sequence_id)
    results: list[Any] = []
    size = 0
    sequence_number = max(position + 1, first)
    while sequence_number <= last and len(results) < limit:
        record = records[sequence_number]
        record_size = _record_size(record)
        if results and size + record_size > GET_RECORDS_MAX_BYTES:
            break
        results.append(record)
        size += record_size
        sequence_number += 1
    if not results:
        return results, position, 0
    millis_behind_latest = int((records[last].created_at - results[-1].created_at) * 1000)
    return results, results[-1].sequence_number, millis_behind_latest


def shard_get_sequence_number_at(self: Any, at_timestamp: float) -> int:
    """Binary search over arrival times (non-decreasing along the sequence numbers)."""
    records = self.records
    bounds = _contiguous(records)
    if bounds is None:
        return _ORIGINALS[(models.Shard, "get_sequence_number_at")](self, at_timestamp)
    first, last = bounds
    if at_timestamp <= records[first].created_at:
        return 0
    # the last record created strictly before at_timestamp (stock semantics)
    low, high = first, last
    while low < high:
        middle = (low + high + 1) // 2
        if records[middle].created_at < at_timestamp:
            low = middle
        else:
            high = middle - 1
    return low


def stream_get_shard_for_key(self: Any, partition_key: str, explicit_hash_key: str) -> Any:
    """Only OPEN shards take writes (stock moto also matches closed parents, which shadow their children)."""
    if not isinstance(partition_key, str):
        raise InvalidArgumentError("partition_key")
    if len(partition_key) > 256:
        raise InvalidArgumentError("partition_key")
    if explicit_hash_key:
        if not isinstance(explicit_hash_key, str):
            raise InvalidArgumentError("explicit_hash_key")
        int_key = int(explicit_hash_key)
        if int_key >= 2**128:
            raise InvalidArgumentError("explicit_hash_key")
    else:
        int_key = int(md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)
    for shard in self.shards.values():
        if shard.is_open and shard.starting_hash <= int_key <= shard.ending_hash:
            return shard
    return None


def stream_split_shard(self: Any, shard_to_split: str, new_starting_hash_key: str) -> None:
    """As AWS: the parent keeps its records (readable until SHARD_END), the children start empty."""
    shard = self.shards.get(shard_to_split)
    if shard is None:
        _ORIGINALS[(models.Stream, "split_shard")](self, shard_to_split, new_starting_hash_key)
        return
    kept = shard.records
    shard.records = OrderedDict()  # stock moto re-puts the parent's records; give it none to move
    try:
        _ORIGINALS[(models.Stream, "split_shard")](self, shard_to_split, new_starting_hash_key)
    finally:
        shard.records = kept


def stream_merge_shards(self: Any, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
    """As AWS: both parents keep their records, the merged child starts empty."""
    parents = [self.shards[s] for s in (shard_to_merge, adjacent_shard_to_merge) if s in self.shards]
    kept = [parent.records for parent in parents]
    for parent in parents:
        parent.records = OrderedDict()  # stock moto copies (and so duplicates) the parents' records
    try:
        _ORIGINALS[(models.Stream, "merge_shards")](self, shard_to_merge, adjacent_shard_to_merge)
    finally:
        for parent, records in zip(parents, kept, strict=True):
            parent.records = records


def backend_get_records(self: Any, stream_arn: str | None, shard_iterator: str, limit: int | None) -> Any:
    """Stock, plus SHARD_END: a closed shard read to its end answers NextShardIterator null."""
    stream_name, shard_id, last_sequence_id = decompose_shard_iterator(shard_iterator)
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    shard = stream.get_shard(shard_id)
    records, last_sequence, millis_behind_latest = shard.get_records(last_sequence_id, limit)
    if not shard.is_open and last_sequence >= shard.get_max_sequence_number():
        return None, records, millis_behind_latest
    return compose_shard_iterator(stream_name, shard, last_sequence), records, millis_behind_latest


def _wants_json(response: Any) -> bool:
    return str(response.headers.get("Content-Type", "")).startswith("application/x-amz-json")


def _arrival_timestamp(record: Any) -> int | float:
    """moto's JSON timestamp: epoch seconds, truncated to milliseconds (Smithy)."""
    value = record.created_at_datetime
    seconds = calendar.timegm(value.timetuple())
    return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds


def response_put_records(self: Any) -> Any:
    if not _wants_json(self):
        return _ORIGINALS[(KinesisResponse, "put_records")](self)
    result = self.kinesis_backend.put_records(
        self._get_param("StreamARN"), self._get_param("StreamName"), self._get_param("Records")
    )
    body = {"FailedRecordCount": result["FailedRecordCount"], "Records": result["Records"]}
    return json.dumps(body), {"Content-Type": JSON_CONTENT_TYPE}


def response_get_records(self: Any) -> Any:
    if not _wants_json(self):
        return _ORIGINALS[(KinesisResponse, "get_records")](self)
    next_iterator, records, millis_behind_latest = self.kinesis_backend.get_records(
        self._get_param("StreamARN"), self._get_param("ShardIterator"), self._get_param("Limit")
    )
    body: dict[str, Any] = {
        "Records": [
            {
                "SequenceNumber": str(record.sequence_number),
                "ApproximateArrivalTimestamp": _arrival_timestamp(record),
                "Data": base64.b64encode(b64decode(record.data)).decode(),
                "PartitionKey": record.partition_key,
            }
            for record in records
        ]
    }
    if next_iterator is not None:
        body["NextShardIterator"] = next_iterator
    else:
        # At SHARD_END AWS names the children; KCL 2.x treats a response without them as invalid.
        body["ChildShards"] = _child_shards(self, self._get_param("StreamARN"), self._get_param("ShardIterator"))
    body["MillisBehindLatest"] = millis_behind_latest
    return json.dumps(body), {"Content-Type": JSON_CONTENT_TYPE}


def _child_shards(response: Any, stream_arn: str | None, shard_iterator: str) -> list[dict[str, Any]]:
    stream_name, shard_id, _ = decompose_shard_iterator(shard_iterator)
    stream = response.kinesis_backend.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    children = []
    for child in stream.shards.values():
        parents = [p for p in (child.parent, child.adjacent_parent) if p]
        if shard_id in parents:
            children.append(
                {
                    "ShardId": child.shard_id,
                    "ParentShards": parents,
                    "HashKeyRange": {
                        "StartingHashKey": str(child.starting_hash),
                        "EndingHashKey": str(child.ending_hash),
                    },
                }
            )
    return children


REPLACEMENTS: dict[tuple[type, str], Callable[..., Any]] = {
    (models.Shard, "put_record"): shard_put_record,
    (models.Shard, "get_records"): shard_get_records,
    (models.Shard, "get_min_sequence_number"): shard_get_min_sequence_number,
    (models.Shard, "get_max_sequence_number"): shard_get_max_sequence_number,
    (models.Shard, "get_sequence_number_at"): shard_get_sequence_number_at,
    (models.Stream, "get_shard_for_key"): stream_get_shard_for_key,
    (models.Stream, "split_shard"): stream_split_shard,
    (models.Stream, "merge_shards"): stream_merge_shards,
    (models.KinesisBackend, "get_records"): backend_get_records,
    (KinesisResponse, "put_records"): response_put_records,
    (KinesisResponse, "get_records"): response_get_records,
}


def installed() -> bool:
    return all(getattr(cls, name, None) is fn for (cls, name), fn in REPLACEMENTS.items())


def install() -> None:
    """Idempotent. Raises `KinesisPatchError` (and changes nothing) if moto's shape changed."""
    if installed():
        return
    check_compatible()
    for (cls, name), replacement in REPLACEMENTS.items():
        _ORIGINALS.setdefault((cls, name), getattr(cls, name))
        setattr(cls, name, replacement)


def uninstall() -> None:
    for (cls, name), original in _ORIGINALS.items():
        setattr(cls, name, original)
