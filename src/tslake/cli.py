"""`tslake`: one entry point, one subcommand per service and tool.

Each subcommand lives in a module exposing `configure(parser)` and `run(args) -> int`; it is
imported only when chosen, so `tslake generator` never loads DuckDB or moto.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> (module, help)
COMMANDS: dict[str, tuple[str, str]] = {
    "generator": ("tslake_generator.main", "put synthetic sensor readings on the input stream"),
    "raw-ingest": ("tslake_raw_ingest.main", "KCL consumer: a Kinesis stream into a time-series table"),
    "cep": ("tslake_cep.main", "KCL consumer: detect ERROR, 1-5 non-ERROR, ERROR within a minute"),
    "exporter": ("tslake_exporter.main", "export interpolated series to the S3 data lake"),
    "local": ("tslake.local.cli", "the local AWS endpoint: `up` and `provision`"),
    "lake": ("tslake.lake.cli", "query the data lake with DuckDB"),
    "run": ("tslake.run.cli", "run the whole pipeline locally with live progress and a summary"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tslake", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not args or args[0] not in COMMANDS:
        parser.parse_args(args)  # prints usage and exits 2
        return 2
    name, rest = args[0], args[1:]
    module = importlib.import_module(COMMANDS[name][0])
    sub = argparse.ArgumentParser(prog=f"tslake {name}", description=COMMANDS[name][1])
    module.configure(sub)
    return int(module.run(sub.parse_args(rest)) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
