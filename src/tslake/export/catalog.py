"""Register an exported dataset in the Glue Data Catalog (when asked), with awswrangler.

One table per dataset over `s3://<bucket>/<prefix>`, partitioned by `date` and `hour` (strings, as in
the keys), plus one partition per written hour, so Athena sees a window as soon as it is exported
without waiting for a crawler. Re-adding an existing partition is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import awswrangler as wr
from botocore.exceptions import BotoCoreError, ClientError

from tslake import aws
from tslake.export.lake import Format, WrittenFile, partition_prefix
from tslake.export.window import parse_time

PARTITION_TYPES = {"date": "string", "hour": "string"}


class CatalogError(RuntimeError):
    """The Glue Data Catalog refused the table or its partitions."""


def register(
    database: str,
    table: str,
    bucket: str,
    prefix: str,
    fmt: Format,
    columns_types: Mapping[str, str],
    files: Sequence[WrittenFile],
) -> int:
    """Create the database and table if missing and add the files' partitions; returns partitions added."""
    path = f"s3://{bucket}/{prefix}"
    partitions = {
        f"s3://{bucket}/{partition_prefix(prefix, parse_time(f'{f.date}T{f.hour}:00:00'))}": [f.date, f.hour]
        for f in files
    }
    try:
        wr.catalog.create_database(database, exist_ok=True)
        if not wr.catalog.does_table_exist(database, table):
            if fmt == "parquet":
                wr.catalog.create_parquet_table(
                    database, table, path, dict(columns_types), partitions_types=PARTITION_TYPES
                )
            else:
                wr.catalog.create_csv_table(
                    database,
                    table,
                    path,
                    dict(columns_types),
                    partitions_types=PARTITION_TYPES,
                    sep=",",
                    skip_header_line_count=1,
                )
        if partitions:
            if fmt == "parquet":
                wr.catalog.add_parquet_partitions(database, table, partitions_values=partitions)
            else:
                wr.catalog.add_csv_partitions(database, table, partitions_values=partitions, sep=",")
    except (ClientError, BotoCoreError, wr.exceptions.AlreadyExists) as exc:
        raise CatalogError(f"registering {database}.{table} in the Glue Data Catalog failed: {exc}") from exc
    return len(partitions)


class CrawlerFailedError(CatalogError):
    """The Glue crawler's last crawl failed or was cancelled, or did not finish in time."""


def wait_for_crawler(name: str, timeout_seconds: float = 900.0, poll_seconds: float = 5.0, glue: Any = None) -> str:
    """Wait until crawler `name` is READY again; returns its last crawl's status.

    A READY crawler whose last crawl is neither FAILED nor CANCELLED has succeeded. (The Amazon
    provider's own wait also calls GetCrawlerMetrics and requires the status SUCCEEDED; this only
    reads GetCrawler, so it works against any Glue API, moto included.)
    """
    glue = glue or aws.client("glue")
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            crawler = glue.get_crawler(Name=name)["Crawler"]
        except (ClientError, BotoCoreError) as exc:
            raise CatalogError(f"cannot read Glue crawler {name}: {exc}") from exc
        status = str(crawler.get("LastCrawl", {}).get("Status", ""))
        if crawler.get("State") == "READY":
            if status in ("FAILED", "CANCELLED"):
                message = crawler.get("LastCrawl", {}).get("ErrorMessage", "")
                raise CrawlerFailedError(f"Glue crawler {name}: last crawl {status} {message}".rstrip())
            return status
        if time.monotonic() > deadline:
            raise CrawlerFailedError(f"Glue crawler {name} still {crawler.get('State')} after {timeout_seconds:.0f}s")
        time.sleep(poll_seconds)
