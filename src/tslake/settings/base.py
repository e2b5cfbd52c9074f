from __future__ import annotations

import sys
from typing import Any, Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "TSLAKE_"
EXIT_BAD_SETTING = 2


class SettingsError(Exception):
    """A setting is missing or invalid; `variable` is the environment variable to fix."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"invalid setting {variable}: {problem}")
        self.variable = variable
        self.problem = problem


class BaseServiceSettings(BaseSettings):
    """What every service has: logging, the metrics endpoint and the shutdown budget."""

    # The common fields keep their TSLAKE_* names even where a service uses a longer prefix.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True, populate_by_name=True)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias=AliasChoices(f"{ENV_PREFIX}LOG_LEVEL")
    )
    # Loopback unless told otherwise; the Helm chart sets 0.0.0.0 so Prometheus can scrape the pod.
    metrics_host: str = Field(default="127.0.0.1", validation_alias=AliasChoices(f"{ENV_PREFIX}METRICS_HOST"))
    metrics_port: int = Field(
        default=9100,
        ge=0,
        le=65535,
        description="0 picks a free port",
        validation_alias=AliasChoices(f"{ENV_PREFIX}METRICS_PORT"),
    )
    shutdown_timeout_seconds: float = Field(
        default=20.0, gt=0, validation_alias=AliasChoices(f"{ENV_PREFIX}SHUTDOWN_TIMEOUT_SECONDS")
    )


S = TypeVar("S", bound=BaseSettings)


def _variable_name(cls: type[BaseSettings], field: str) -> str:
    info = cls.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, str):
        return alias
    if alias is not None and hasattr(alias, "choices"):
        return str(alias.choices[0])
    prefix = cls.model_config.get("env_prefix", "") or ""
    return f"{prefix}{field}".upper()


def parse_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings or raise SettingsError naming the first bad variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise SettingsError(_variable_name(cls, field), first["msg"]) from None


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings at start-up; a bad setting stops the process with exit code 2."""
    try:
        return parse_settings(cls, **overrides)
    except SettingsError as exc:
        print(f"tslake: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_SETTING) from None
