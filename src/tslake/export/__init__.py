"""Export library: interpolated series and CEP events from the time-series store to the S3 data lake.

One window at a time (`export_window`), idempotent, with typed errors; used by `tslake exporter`
(Kubernetes CronJob and backfills), by the MWAA DAG and by `tslake run`.
"""

from tslake.export.catalog import CatalogError
from tslake.export.datasets import DATASETS, DatasetName
from tslake.export.exporter import ExportConfig, ExportResult, export_all, export_window
from tslake.export.lake import FORMATS, LakeBucketMissingError, LakeError, LakeWriteError
from tslake.export.store import StoreError, StoreQueryError, StoreUnavailableError
from tslake.export.window import InvalidWindowError, Window, last_complete_window, parse_time, windows_between

# What a failed export raises (besides programming errors): each names the failing part.
EXPORT_ERRORS = (StoreError, LakeError, CatalogError)

__all__ = [
    "DATASETS",
    "EXPORT_ERRORS",
    "FORMATS",
    "CatalogError",
    "DatasetName",
    "ExportConfig",
    "ExportResult",
    "InvalidWindowError",
    "LakeBucketMissingError",
    "LakeError",
    "LakeWriteError",
    "StoreError",
    "StoreQueryError",
    "StoreUnavailableError",
    "Window",
    "export_all",
    "export_window",
    "last_complete_window",
    "parse_time",
    "windows_between",
]
