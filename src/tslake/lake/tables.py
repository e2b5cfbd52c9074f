"""The lake's tables as DuckDB sees them: where each lives in the bucket and its schema."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from tslake import names
from tslake.export.datasets import DATASETS, DatasetName

_ARROW = {"string": pa.string(), "timestamp": pa.timestamp("us"), "double": pa.float64(), "bigint": pa.int64()}
PARTITIONING = pa.schema([("date", pa.string()), ("hour", pa.string())])


@dataclass(frozen=True)
class LakeTable:
    name: str
    prefix: str  # under the bucket, ends with "/"
    schema: pa.Schema  # file columns (without the partition columns)
    partitioned: bool  # Hive-style date=/hour= directories


def _export_table(name: DatasetName) -> LakeTable:
    spec = DATASETS[name]
    schema = pa.schema([(c, _ARROW[t]) for c, t in spec.columns_types.items()])
    return LakeTable(name.value, spec.default_prefix, schema, True)


# Master data: one folder per table (as Athena external tables want), CSV with one header line.
SENSOR_MAPPING = LakeTable(
    "sensor_mapping",
    f"{names.MASTER_DATA_PREFIX}sensor_mapping/",
    pa.schema([("sensor_id", pa.string()), ("customer_id", pa.int64())]),
    False,
)
CUSTOMER_DATA = LakeTable(
    "customer_data",
    f"{names.MASTER_DATA_PREFIX}customer_data/",
    pa.schema(
        [
            ("customer_id", pa.int64()),
            ("company_name", pa.string()),
            ("contact_person", pa.string()),
            ("contract_type", pa.string()),
        ]
    ),
    False,
)

TABLES: dict[str, LakeTable] = {
    t.name: t
    for t in (_export_table(DatasetName.INTERPOLATED), _export_table(DatasetName.CEP), SENSOR_MAPPING, CUSTOMER_DATA)
}
