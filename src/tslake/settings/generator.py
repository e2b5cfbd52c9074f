from __future__ import annotations

import os

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from tslake import names
from tslake.generator.distribution import EXPECTED_READINGS_PER_SENSOR_TICK
from tslake.settings.base import ENV_PREFIX, BaseServiceSettings

MIN_TICK_SECONDS = 0.001  # one reading per sensor per millisecond keeps (sensor, time) unique


class GeneratorSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}GENERATOR_", extra="ignore", frozen=True)

    stream: str = names.INPUT_STREAM
    sensors: int = Field(default=100, ge=1, le=100_000, description="sensors owned by this replica")
    rate: float | None = Field(
        default=None, gt=0, description="target records/s for this replica; unset = the seed's 1 s tick"
    )
    seed: int | None = Field(default=None, description="random seed for deterministic output")
    replica_id: int | None = Field(default=None, ge=0, description="default: the pod name's ordinal")
    count: int | None = Field(default=None, ge=1, description="stop after this many records")
    duration_seconds: float | None = Field(default=None, gt=0, description="stop after this long")

    @property
    def tick_seconds(self) -> float:
        if self.rate is None:
            return 1.0
        return self.sensors * EXPECTED_READINGS_PER_SENSOR_TICK / self.rate

    @field_validator("rate")
    @classmethod
    def _rate_fits_sensors(cls, rate: float | None, info: ValidationInfo) -> float | None:
        sensors = info.data.get("sensors")
        if rate is not None and sensors:
            limit = sensors * EXPECTED_READINGS_PER_SENSOR_TICK / MIN_TICK_SECONDS
            if rate > limit:
                raise ValueError(f"above {limit:.0f} records/s for {sensors} sensors; add sensors or replicas")
        return rate


def pod_environment() -> tuple[str | None, str | None]:
    return os.environ.get("POD_NAME"), os.environ.get("HOSTNAME")
