"""Sample master data (which customer owns which sensor), uploaded to the lake like the seed's.

`data/master/sensor_mapping.csv` starts with a UTF-8 byte-order mark, as the seed's file did; the
readers (Arrow's CSV reader here, OpenCSVSerde in Athena) skip it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tslake import aws
from tslake.lake.tables import CUSTOMER_DATA, SENSOR_MAPPING, LakeTable

MASTER_TABLES: tuple[LakeTable, ...] = (SENSOR_MAPPING, CUSTOMER_DATA)


class MasterDataError(RuntimeError):
    pass


def default_master_dir() -> Path:
    """`data/master/` of the source tree (editable installs and the container image's /app)."""
    return Path(__file__).resolve().parents[3] / "data" / "master"


def master_key(table: LakeTable) -> str:
    return f"{table.prefix}{table.name}.csv"


def upload_master_data(bucket: str, directory: Path | None = None, s3: Any = None) -> list[str]:
    """Put both CSVs under `master-data/<table>/<table>.csv`; idempotent (same keys every time)."""
    directory = directory or default_master_dir()
    s3 = s3 or aws.client("s3")
    keys = []
    for table in MASTER_TABLES:
        path = directory / f"{table.name}.csv"
        if not path.is_file():
            raise MasterDataError(f"master data file {path} is missing")
        key = master_key(table)
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType="text/csv")
        keys.append(key)
    return keys
