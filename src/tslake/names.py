"""Every stream, table, bucket, prefix and KCL application name, in one place.

The CDK app (`infra/`), the Helm charts' defaults, `tslake local provision` and the services'
settings defaults all read from here, so a rename happens once.
"""

from __future__ import annotations

PROJECT = "tslake"

# Kinesis
INPUT_STREAM = "tslake-input"
CEP_STREAM = "tslake-cep"
INPUT_STREAM_SHARDS = 2
CEP_STREAM_SHARDS = 1

# Timestream (or any store behind tslake.sinks)
TIMESTREAM_DATABASE = "tslake"
RAW_TABLE = "raw"
CEP_TABLE = "cep"
RAW_TABLE_MEMORY_HOURS = 24
RAW_TABLE_MAGNETIC_DAYS = 7
CEP_TABLE_MEMORY_HOURS = 24
CEP_TABLE_MAGNETIC_DAYS = 30

# S3 data lake
LAKE_BUCKET = "tslake-lake"
INTERPOLATED_PREFIX = "interpolated/"
CEP_EXPORT_PREFIX = "cep/"
DEAD_LETTER_PREFIX = "dead-letter/"
MASTER_DATA_PREFIX = "master-data/"
GLUE_DATABASE = "tslake_lake"

# KCL application names; each is also the name of its DynamoDB lease table.
RAW_INGEST_APP = "tslake-raw-ingest"
CEP_INGEST_APP = "tslake-cep-ingest"
CEP_APP = "tslake-cep"
# DynamoDB table holding the cep service's per-shard engine state (partial matches), written before each checkpoint.
CEP_STATE_TABLE = "tslake-cep-state"

# The local endpoint
LOCAL_HOST = "127.0.0.1"
LOCAL_PORT = 4566
LOCAL_REGION = "us-east-1"


def dead_letter_key(service: str, reason: str, stream: str, shard_id: str, sequence_number: str) -> str:
    """One object per bad record, keyed by its source position so a replay overwrites, never duplicates."""
    return f"{DEAD_LETTER_PREFIX}{service}/{reason}/{stream}/{shard_id}/{sequence_number}.json"
