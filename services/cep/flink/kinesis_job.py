"""The deployable alternative to the cep service: the same MATCH_RECOGNIZE as a Flink job on Kinesis.

For Amazon Managed Service for Apache Flink (PyFlink application; add the
flink-connector-aws-kinesis-streams jar under `lib/` of the application zip). Parameters come from the
runtime property group `tslake.cep` (in /etc/flink/application_properties.json on the service):
`region`, `account`, `input_stream`, `cep_stream`, `lateness_ms`; or from the command line:

    python kinesis_job.py --region eu-west-1 --account 123456789012

The Studio notebook `cep.zpln` holds the same three statements (`render.py notebook` regenerates it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from render import DEFAULTS, kinesis_statements  # this directory is on sys.path

PROPERTIES = Path("/etc/flink/application_properties.json")
GROUP = "tslake.cep"


def managed_properties() -> dict[str, Any]:
    if not PROPERTIES.exists():
        return {}
    for group in json.loads(PROPERTIES.read_text()):
        if group.get("PropertyGroupId") == GROUP:
            return dict(group.get("PropertyMap", {}))
    return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    configured = {**DEFAULTS, **managed_properties()}
    for key, default in DEFAULTS.items():
        kind = int if isinstance(default, int) else str
        parser.add_argument(f"--{key.replace('_', '-')}", type=kind, default=kind(configured[key]))
    args = parser.parse_args()

    from pyflink.table import EnvironmentSettings, TableEnvironment

    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    source, sink, insert = kinesis_statements(**{key: getattr(args, key) for key in DEFAULTS})
    env.execute_sql(source)
    env.execute_sql(sink)
    env.execute_sql(insert)  # a streaming INSERT runs until cancelled
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
