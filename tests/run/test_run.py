"""`tslake run` end to end: what `make run` does, shortened, on a free port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tslake.local.process import free_port


def test_run_summary_adds_up(tmp_path: Path) -> None:
    summary_path = tmp_path / "summary.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tslake.cli",
            "run",
            "--duration",
            "25",
            "--rate",
            "200",
            "--seed",
            "11",
            "--port",
            str(free_port()),
            "--work-dir",
            str(tmp_path / "work"),
            "--export-interval",
            "10",
            "--summary-json",
            str(summary_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted((tmp_path / "work/logs").glob("*.log")))
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{logs}"
    summary = json.loads(summary_path.read_text())

    assert summary["generated"] > 2000
    assert summary["raw_rows"] == summary["generated"]
    assert summary["dead_lettered"] == 0
    assert summary["cep_events"] > 0
    assert summary["cep_rows"] == 4 * summary["cep_events"]
    assert summary["exported_rows"] > 0 and summary["exported_files"] > 0
    assert set(summary["exit_codes"].values()) == {0}
    assert summary["lake_join"], "the data-lake join printed rows"
    assert "summary after" in proc.stdout and "generated" in proc.stdout
