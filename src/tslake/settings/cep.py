"""cep settings: the input stream it reads, the CEP stream it writes, and the event-time lateness.

Every field is a `TSLAKE_*` variable, e.g. `TSLAKE_CEP_STREAM`, `TSLAKE_ALLOWED_LATENESS_MS`.
"""

from __future__ import annotations

from pydantic import Field

from tslake import names
from tslake.settings.consumer import ConsumerSettings


class CepSettings(ConsumerSettings):
    stream: str = Field(default=names.INPUT_STREAM, min_length=1)
    application_name: str = Field(default=names.CEP_APP, min_length=1)
    cep_stream: str = Field(default=names.CEP_STREAM, min_length=1, description="where matches are put")
    lake_bucket: str = Field(default=names.LAKE_BUCKET, min_length=1, description="dead letters go here")
    state_table: str = Field(default=names.CEP_STATE_TABLE, min_length=1, description="per-shard engine state")
    create_state_table: bool = Field(default=True, description="create the state table if it is missing")
    # How far behind the newest reading on a shard a reading may arrive and still be ordered in. A match
    # is emitted once the watermark passes its C, i.e. this much event time after it.
    allowed_lateness_ms: int = Field(default=5000, ge=0, le=600_000)
    put_max_attempts: int = Field(default=8, ge=1, le=50)
