"""Render the Flink SQL templates: the Kinesis job's statements and the Studio notebook.

Standard library only: it runs in `.venv-flink`, in the main venv (tests) and in Managed Service for
Apache Flink alike. The templates use string.Template (`${name}`).

    python services/cep/flink/render.py sql --region eu-west-1 --account 123456789012 > job.sql
    python services/cep/flink/render.py notebook --region eu-west-1 --account 123456789012 > cep.zpln
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from string import Template
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULTS = {
    "region": "us-east-1",
    "account": "123456789012",
    "input_stream": "tslake-input",  # tslake.names.INPUT_STREAM (this file imports nothing from tslake)
    "cep_stream": "tslake-cep",  # tslake.names.CEP_STREAM
    "lateness_ms": 5000,  # TSLAKE_ALLOWED_LATENESS_MS's default
}


def interval(milliseconds: int) -> str:
    """A DAY TO SECOND(3) literal body: Flink caps SECOND's leading precision at 2 digits."""
    seconds, ms = divmod(milliseconds, 1000)
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    days, h = divmod(hours, 24)
    return f"{days} {h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def sql(name: str, **params: object) -> str:
    return Template((HERE / name).read_text()).substitute({k: str(v) for k, v in params.items()})


def stream_arn(region: str, account: str, stream: str) -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{stream}"


def kinesis_statements(region: str, account: str, input_stream: str, cep_stream: str, lateness_ms: int) -> list[str]:
    """Source DDL, sink DDL and the INSERT running the MATCH_RECOGNIZE: the whole deployable job."""
    return [
        sql("kinesis_source.sql", input_stream_arn=stream_arn(region, account, input_stream), region=region,
            lateness=interval(lateness_ms)),
        sql("kinesis_sink.sql", cep_stream_arn=stream_arn(region, account, cep_stream), region=region),
        "INSERT INTO cep_data\n" + sql("match_recognize.sql"),
    ]  # fmt: skip


def notebook(**params: Any) -> dict[str, Any]:
    """A Zeppelin note (Managed Service for Apache Flink Studio): one %flink.ssql paragraph per statement."""
    titles = ["Source: the input stream, in event time", "Sink: the CEP stream", "The seed's MATCH_RECOGNIZE"]
    paragraphs = [
        {
            "title": title,
            "text": f"%flink.ssql(type=update)\n{statement.strip()}\n",
            "config": {"editorSetting": {"language": "sql"}, "editorMode": "ace/mode/sql", "title": True},
            "settings": {"params": {}, "forms": {}},
            "id": f"paragraph_tslake_cep_{i}",
        }
        for i, (title, statement) in enumerate(zip(titles, kinesis_statements(**params), strict=True))
    ]
    return {
        "name": "tslake-cep",
        "paragraphs": paragraphs,
        "config": {"isZeppelinNotebookCronEnable": False},
        "info": {},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("sql", "notebook"))
    for key, value in DEFAULTS.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args()
    params = {key: getattr(args, key) for key in DEFAULTS}
    if args.what == "sql":
        print(";\n\n".join(s.strip() for s in kinesis_statements(**params)) + ";")
    else:
        print(json.dumps(notebook(**params), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
