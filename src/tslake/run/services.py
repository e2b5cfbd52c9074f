"""The processes `tslake run` starts, and the counter each one is judged by on the progress screen."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

from tslake import names


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    command: tuple[str, ...]  # after `tslake`
    module: str  # the service's package; a service that has not landed yet is skipped
    progress_metric: str  # a counter on its /metrics page
    progress_label: str
    env: dict[str, str] = field(default_factory=dict)

    def available(self) -> bool:
        return module_available(self.module)


def module_available(module: str) -> bool:
    """A service that has not landed yet has no package to import."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# Shorter polling than the production defaults so a 90 s run shows data moving within seconds.
LOCAL_CONSUMER_ENV = {
    "TSLAKE_CONSUMER_DRIVER": "python",
    "TSLAKE_IDLE_TIME_BETWEEN_READS_MILLIS": "250",
    "TSLAKE_SHARD_SYNC_INTERVAL_MILLIS": "2000",
    "TSLAKE_PARENT_SHARD_POLL_INTERVAL_MILLIS": "1000",
}
CONSUMER_RECORDS = "tslake_consumer_records_total"


def pipeline(generator_args: tuple[str, ...]) -> list[ServiceSpec]:
    return [
        ServiceSpec(
            "generator",
            ("generator", *generator_args),
            "tslake_generator.main",
            "tslake_generator_records_sent_total",
            "readings put",
        ),
        ServiceSpec(
            "raw-ingest",
            ("raw-ingest",),
            "tslake_raw_ingest.main",
            CONSUMER_RECORDS,
            "readings written",
            {**LOCAL_CONSUMER_ENV, "TSLAKE_TABLE_LAYOUT": "raw"},
        ),
        ServiceSpec(
            "cep",
            ("cep",),
            "tslake_cep.main",
            CONSUMER_RECORDS,
            "readings matched",
            dict(LOCAL_CONSUMER_ENV),
        ),
        ServiceSpec(
            "cep-ingest",
            ("raw-ingest",),
            "tslake_raw_ingest.main",
            CONSUMER_RECORDS,
            "CEP events written",
            {
                **LOCAL_CONSUMER_ENV,
                "TSLAKE_TABLE_LAYOUT": "cep_seed",
                "TSLAKE_STREAM": names.CEP_STREAM,
                "TSLAKE_APPLICATION_NAME": names.CEP_INGEST_APP,
            },
        ),
    ]
