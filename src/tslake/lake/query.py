"""`tslake lake query`: DuckDB over the lake's files, read lazily through Arrow datasets on S3.

Views: `interpolated`, `cep` (with the partition columns `date`, `hour`), `sensor_mapping`,
`customer_data`. A table without files yet is an empty view with the right columns, so the join of
Part 3.2 runs on a fresh lake too.
"""

from __future__ import annotations

from collections import defaultdict

import duckdb
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from tslake import names
from tslake.lake.filesystem import s3_filesystem
from tslake.lake.tables import PARTITIONING, TABLES, LakeTable

FORMATS = ("parquet", "csv")


class LakeQueryError(RuntimeError):
    pass


def _files(fs: pafs.FileSystem, bucket: str, table: LakeTable) -> dict[str, list[str]]:
    try:
        infos = fs.get_file_info(pafs.FileSelector(f"{bucket}/{table.prefix}", recursive=True, allow_not_found=True))
    except OSError as exc:
        raise LakeQueryError(f"cannot list s3://{bucket}/{table.prefix}: {exc}") from exc
    by_format: dict[str, list[str]] = defaultdict(list)
    for info in infos:
        ext = info.path.rsplit(".", 1)[-1]
        if info.type == pafs.FileType.File and ext in FORMATS:
            by_format[ext].append(info.path)
    return {fmt: sorted(paths) for fmt, paths in by_format.items()}


def _schema(table: LakeTable) -> pa.Schema:
    if not table.partitioned:
        return table.schema
    return pa.schema([*table.schema, *PARTITIONING])


def _dataset(fs: pafs.FileSystem, bucket: str, table: LakeTable, fmt: str, paths: list[str]) -> ds.Dataset:
    file_format: ds.FileFormat
    if fmt == "parquet":
        file_format = ds.ParquetFileFormat()
    else:
        types = {f.name: f.type for f in table.schema}
        file_format = ds.CsvFileFormat(convert_options=pcsv.ConvertOptions(column_types=types))
    kwargs: dict[str, object] = {}
    if table.partitioned:
        kwargs = {
            "partitioning": ds.partitioning(PARTITIONING, flavor="hive"),
            "partition_base_dir": f"{bucket}/{table.prefix}",
        }
    return ds.dataset(paths, schema=_schema(table), filesystem=fs, format=file_format, **kwargs)


def connect(bucket: str = names.LAKE_BUCKET, filesystem: pafs.FileSystem | None = None) -> duckdb.DuckDBPyConnection:
    fs = filesystem or s3_filesystem()
    try:
        if fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise LakeQueryError(f"lake bucket s3://{bucket} does not exist")
    except OSError as exc:
        raise LakeQueryError(f"cannot reach the lake bucket s3://{bucket}: {exc}") from exc
    con = duckdb.connect()
    for table in TABLES.values():
        parts = []
        for fmt, paths in _files(fs, bucket, table).items():
            source = f"_{table.name}_{fmt}"
            con.register(source, _dataset(fs, bucket, table, fmt, paths))
            parts.append(f"SELECT * FROM {source}")
        if not parts:
            source = f"_{table.name}_empty"
            con.register(source, _schema(table).empty_table())
            parts.append(f"SELECT * FROM {source}")
        con.execute(f"CREATE VIEW {table.name} AS {' UNION ALL BY NAME '.join(parts)}")
    return con


def query(sql: str, bucket: str = names.LAKE_BUCKET) -> pa.Table:
    con = connect(bucket)
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise LakeQueryError(f"query failed: {exc}") from exc
    finally:
        con.close()
