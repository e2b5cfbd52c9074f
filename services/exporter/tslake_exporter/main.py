"""`tslake exporter`: the CronJob entrypoint and the backfill tool (it replaces the seed's backfill DAG).

Default: export the last complete window (aligned, `--delay` seconds after it ended). With
`--start/--end`: every aligned window in [start, end), with a progress bar. Exit codes: 0 done (empty
windows included), 1 an export failed (store unreachable, bucket missing, ...: nothing partial left),
2 bad settings or arguments (e.g. end not after start).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tslake.export import (
    EXPORT_ERRORS,
    DatasetName,
    ExportConfig,
    InvalidWindowError,
    Window,
    export_window,
    last_complete_window,
    parse_time,
    windows_between,
)
from tslake.export.lake import LakeWriter
from tslake.export.store import query_client
from tslake.logs import configure_logging
from tslake.metrics import exporter as metrics
from tslake.settings.base import EXIT_BAD_SETTING, load_settings
from tslake.settings.exporter import ExporterSettings

EXIT_FAILED = 1


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", help="backfill from this UTC time (ISO 8601, e.g. 2025-01-01T00:00:00Z)")
    parser.add_argument("--end", help="backfill up to this UTC time, exclusive")
    parser.add_argument("--window-minutes", type=int, help="window length (TSLAKE_EXPORT_WINDOW_MINUTES, 5)")
    parser.add_argument("--delay", type=float, help="seconds to wait after a window ends (TSLAKE_EXPORT_DELAY_SECONDS)")
    parser.add_argument("--format", choices=("parquet", "csv"), help="file format (TSLAKE_EXPORT_FORMAT, parquet)")
    parser.add_argument("--bucket", help="lake bucket (TSLAKE_LAKE_BUCKET)")
    parser.add_argument("--glue-database", help="register tables and partitions in this Glue database")
    parser.add_argument("--glue-table", help="Glue table of the interpolated series (TSLAKE_GLUE_INTERPOLATED_TABLE)")
    parser.add_argument("--no-cep", action="store_true", help="export the interpolated series only")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar in a backfill")


def _config(settings: ExporterSettings, args: argparse.Namespace) -> ExportConfig:
    return ExportConfig(
        database=settings.timestream_database,
        raw_table=settings.raw_table,
        cep_table=settings.cep_table,
        bucket=args.bucket or settings.lake_bucket,
        interpolated_prefix=settings.interpolated_prefix,
        cep_prefix=settings.cep_export_prefix,
        format=args.format or settings.export_format,
        glue_database=args.glue_database or settings.glue_database,
        glue_interpolated_table=args.glue_table or settings.glue_interpolated_table,
        glue_cep_table=settings.glue_cep_table,
    )


def _windows(settings: ExporterSettings, args: argparse.Namespace) -> list[Window]:
    minutes = args.window_minutes or settings.export_window_minutes
    if minutes < 1:
        raise InvalidWindowError(f"--window-minutes must be at least 1, got {minutes}")
    if args.start is None and args.end is None:
        delay = settings.export_delay_seconds if args.delay is None else args.delay
        return [last_complete_window(datetime.now(UTC), minutes, delay)]
    if args.start is None or args.end is None:
        raise InvalidWindowError("--start and --end go together")
    return list(windows_between(parse_time(args.start), parse_time(args.end), minutes))


def run(args: argparse.Namespace) -> int:
    settings = load_settings(ExporterSettings)
    log = configure_logging(settings.log_level, "exporter")
    err = Console(stderr=True)
    try:
        windows = _windows(settings, args)
    except InvalidWindowError as exc:
        err.print(f"[bold red]tslake exporter:[/] {exc}", highlight=False, soft_wrap=True)
        return EXIT_BAD_SETTING
    config = _config(settings, args)
    datasets = [DatasetName.INTERPOLATED]
    if settings.export_cep and not args.no_cep:
        datasets.append(DatasetName.CEP)
    totals = {"rows": 0, "files": 0, "empty": 0}
    code = 0
    show = len(windows) > 1 and not args.no_progress
    progress = Progress(
        TextColumn("export"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeRemainingColumn(),
        console=err,
        disable=not show,
    )
    log.info(
        "export_started",
        windows=len(windows),
        first=str(windows[0]),
        last=str(windows[-1]),
        datasets=[d.value for d in datasets],
        bucket=config.bucket,
        format=config.format,
    )
    client, writer = query_client(), LakeWriter(config.bucket)  # one of each for every window
    current = f"{windows[0]}"
    try:
        with progress:
            task = progress.add_task("export", total=len(windows) * len(datasets), rows=0)
            for window in windows:
                for dataset in datasets:
                    current = f"{dataset.value} {window}"
                    result = export_window(window, config, dataset, query_client=client, writer=writer)
                    totals["rows"] += result.rows
                    totals["files"] += result.files
                    totals["empty"] += result.empty
                    progress.update(task, advance=1, rows=totals["rows"])
    except EXPORT_ERRORS as exc:
        err.print(
            f"[bold red]tslake exporter: export of {current} failed:[/] {exc} "
            "(windows before it are exported; re-running is safe)",
            highlight=False,
            soft_wrap=True,
        )
        code = EXIT_FAILED
    finally:
        if settings.pushgateway_url:
            try:
                metrics.push(settings.pushgateway_url, settings.pushgateway_job)
            except OSError as exc:  # never mask the export's own outcome
                log.warning("metrics_push_failed", gateway=settings.pushgateway_url, error=str(exc))
    if code == 0:
        log.info("export_finished", windows=len(windows), **totals)
        print(
            f"exported {len(windows)} window(s) [{windows[0].start:%Y-%m-%d %H:%M:%S}, "
            f"{windows[-1].end:%Y-%m-%d %H:%M:%S}): {totals['rows']:,} rows in {totals['files']} files",
            file=sys.stderr,
        )
    return code
