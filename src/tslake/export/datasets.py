"""What can be exported: the interpolated readings and the CEP events, each with its query and schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from tslake import names
from tslake.export import queries
from tslake.export.window import Window


class DatasetName(StrEnum):
    INTERPOLATED = "interpolated"
    CEP = "cep"


@dataclass(frozen=True)
class Dataset:
    name: DatasetName
    default_prefix: str
    query: Callable[[str, str, Window], str]  # (database, table, window) -> SQL
    columns_types: dict[str, str]  # Glue/Athena types, in file column order
    sort_by: tuple[str, ...]
    dimensions: tuple[str, ...]  # dimension columns the query reads; absent until the table has data


DATASETS: dict[DatasetName, Dataset] = {
    DatasetName.INTERPOLATED: Dataset(
        DatasetName.INTERPOLATED,
        names.INTERPOLATED_PREFIX,
        queries.interpolation_query,
        {"sensor_id": "string", "time": "timestamp", "status": "string", "temperature": "double"},
        ("sensor_id", "time"),
        ("sensor_id", "status"),
    ),
    DatasetName.CEP: Dataset(
        DatasetName.CEP,
        names.CEP_EXPORT_PREFIX,
        queries.cep_query,
        {
            "sensor_id": "string",
            "time": "timestamp",
            "non_errors": "bigint",
            "history": "string",
            "min_temperature": "double",
            "avg_temperature": "double",
            "max_temperature": "double",
            "elapsed": "double",
        },
        ("sensor_id", "time", "history"),
        ("sensor_id", "non_errors", "history"),
    ),
}
