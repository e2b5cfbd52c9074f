"""The S3 data lake on the laptop and in AWS: DuckDB queries over the exported files and master data."""

from tslake.lake.join import JOIN_SUMMARY, PART_3_2_JOIN, JoinSummary, lake_join_summary
from tslake.lake.master import MasterDataError, upload_master_data
from tslake.lake.query import LakeQueryError, connect, query

__all__ = [
    "JOIN_SUMMARY",
    "PART_3_2_JOIN",
    "JoinSummary",
    "LakeQueryError",
    "MasterDataError",
    "connect",
    "lake_join_summary",
    "query",
    "upload_master_data",
]
