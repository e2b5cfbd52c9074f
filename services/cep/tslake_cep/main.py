"""`tslake cep`: the CEP KCL consumer; `tslake cep replay`: the same engine offline over a file.

Thin wiring; the pattern engine is `tslake.cep`, the per-shard processor `tslake_cep.handler`.
Settings are `TSLAKE_*` variables (`tslake.settings.cep`); see services/cep/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SERVICE = "cep"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Without a subcommand: run the consumer, configured by TSLAKE_* variables."
    sub = parser.add_subparsers(dest="cep_command", metavar="SUBCOMMAND")
    replay = sub.add_parser("replay", help="run the pattern offline over JSON-lines readings, in any order")
    replay.add_argument("--input", type=Path, required=True, help="sensor readings, one JSON object per line")
    replay.add_argument("--output", type=Path, required=True, help="matches, JSON lines in the cep_data layout")


def run(args: argparse.Namespace) -> int:
    if args.cep_command == "replay":
        return _replay(args.input, args.output)
    from tslake_cep.service import serve

    return serve()


def _replay(input_path: Path, output_path: Path) -> int:
    from tslake.cep.replay import rejected_report, replay

    try:
        with input_path.open("rb") as source, output_path.open("wb") as sink:
            result = replay(source, sink)
    except OSError as exc:
        print(f"tslake cep replay: {exc}", file=sys.stderr)
        return 1
    if result.rejected:
        # Bad lines are reported, not fatal: a backfill over a partly bad file still yields the rest.
        print(rejected_report(result), file=sys.stderr)
    print(
        f"tslake cep replay: {result.events} readings, {result.matches} matches, {len(result.rejected)} rejected lines",
        file=sys.stderr,
    )
    return 0
