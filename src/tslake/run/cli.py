"""`tslake run`: the whole pipeline locally (what `make run` calls)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from tslake import names
from tslake.local.process import EndpointStartError
from tslake.run.orchestrator import LocalRun, RunError, RunOptions, Summary, write_summary


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=90.0, help="seconds to run; 0 = until Ctrl-C (default 90)")
    parser.add_argument("--summary-json", type=Path, help="also write the summary as JSON here")
    parser.add_argument("--port", type=int, default=names.LOCAL_PORT, help="local endpoint port (default 4566)")
    parser.add_argument("--work-dir", type=Path, default=Path(".tslake/run"), help="logs go here")
    parser.add_argument("--rate", type=float, help="generator records/s (default: the seed's pace, ~50/s)")
    parser.add_argument("--sensors", type=int, default=100, help="generator sensors (default 100)")
    parser.add_argument("--seed", type=int, help="generator random seed")
    parser.add_argument("--drain-timeout", type=float, default=90.0, help="seconds to wait for consumers to catch up")
    parser.add_argument("--export-interval", type=float, default=30.0, help="seconds between exports during the run")


def run(args: argparse.Namespace) -> int:
    generator_args: list[str] = ["--sensors", str(args.sensors)]
    if args.rate:
        generator_args += ["--rate", str(args.rate)]
    if args.seed is not None:
        generator_args += ["--seed", str(args.seed)]
    options = RunOptions(
        duration=args.duration,
        work_dir=args.work_dir,
        port=args.port,
        generator_args=tuple(generator_args),
        drain_timeout=args.drain_timeout,
        export_interval=args.export_interval,
    )
    local_run = LocalRun(options)
    try:
        summary = local_run.execute()
    except (RunError, EndpointStartError) as exc:
        local_run.console.print(f"[red]tslake run: {exc}")
        return 1
    print_summary(local_run, summary)
    if args.summary_json:
        write_summary(summary, args.summary_json)
    return 0 if all(summary.checks.values()) else 1


def print_summary(local_run: LocalRun, summary: Summary) -> None:
    console = local_run.console
    table = Table(title=f"summary after {summary.duration_seconds:.0f}s", title_justify="left")
    table.add_column("count")
    table.add_column("value", justify="right")
    for key in ("generated", "raw_rows", "cep_events", "cep_rows", "exported_rows", "exported_files", "dead_lettered"):
        value = getattr(summary, key)
        table.add_row(key, "null (service not yet built)" if value is None else f"{value:,}")
    console.print(table)
    for check, ok in summary.checks.items():
        console.print(f"{'[green]ok  ' if ok else '[red]FAIL'} {check}")
    if summary.lake_join:
        join = Table(title="data lake: interpolated readings joined with customers", title_justify="left")
        for column in summary.lake_join[0]:
            join.add_column(str(column))
        for row in summary.lake_join:
            join.add_row(*(str(v) for v in row.values()))
        console.print(join)
    console.print(f"logs: {local_run.log_dir}")
