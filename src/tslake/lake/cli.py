"""`tslake lake`: `query "SQL"` over the lake, `join` (the seed's Part 3.2), `load-master` (sample data)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tslake import names
from tslake.lake.join import PART_3_2_JOIN, lake_join_summary, render
from tslake.lake.master import MasterDataError, default_master_dir, upload_master_data
from tslake.lake.query import LakeQueryError, query

EXIT_FAILED = 1


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bucket", default=names.LAKE_BUCKET, help=f"lake bucket (default {names.LAKE_BUCKET})")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = sub.add_parser("query", help="run DuckDB SQL over the views interpolated, cep, sensor_mapping, customer_data")
    q.add_argument("sql", help="e.g. \"SELECT count(*) FROM interpolated\"; use 'part-3.2' for the seed's join")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    q.add_argument("--max-rows", type=int, default=50, help="rows to print in table format")
    sub.add_parser("join", help="the seed's Part 3.2 join, one line per customer")
    m = sub.add_parser("load-master", help="upload the sample master data to s3://<bucket>/master-data/")
    m.add_argument("--from", dest="directory", type=Path, default=default_master_dir(), help="folder with the CSVs")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "load-master":
            for key in upload_master_data(args.bucket, args.directory):
                print(f"s3://{args.bucket}/{key}")
            return 0
        if args.action == "join":
            print(lake_join_summary(args.bucket).render())
            return 0
        sql = PART_3_2_JOIN if args.sql == "part-3.2" else args.sql
        table = query(sql, args.bucket)
        if args.format == "csv":
            table.to_pandas().to_csv(sys.stdout, index=False)
        elif args.format == "json":
            table.to_pandas().to_json(sys.stdout, orient="records", lines=True, date_format="iso")
        else:
            print(render(table, args.max_rows))
            print(f"({table.num_rows:,} rows)")
        return 0
    except (LakeQueryError, MasterDataError) as exc:
        print(f"tslake lake: {exc}", file=sys.stderr)
        return EXIT_FAILED
