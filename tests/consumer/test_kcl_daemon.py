"""The real KCL 2.5.8 MultiLangDaemon (Java) driving our `BatchProcessor` children, against the local endpoint.

One batched scenario (each JVM start costs ~30 s):
1. a Python-driver worker consumes the first 1,000 records and stops on SIGTERM (checkpoint + release);
2. daemon A resumes from the Python driver's checkpoints; daemon B joins and the two split the leases;
3. 10,000 records flow; A is killed with -9 mid-stream; B takes over; every record lands exactly once;
4. a Python-driver worker joins the running daemon B and steals its fair share of the leases;
5. SIGTERM lands B's checkpoint at its shard's tip, and B exits within the grace bound;
6. the Python worker takes over B's lease from the daemon's checkpoint, re-writing nothing.
"""

from __future__ import annotations

import shutil

import pytest

from tests.consumer.scenario import Scenario, assert_exactly_once, mark, wait_until
from tslake.consumer.kcl.daemon import KclJarsNotFoundError, jars_dir
from tslake.settings.consumer import ConsumerSettings

pytestmark = pytest.mark.kcl

GRACE_S = 8.0  # TSLAKE_SHUTDOWN_GRACE_MILLIS in the scenario
# The supervisor gives the JVM shutdownGraceMillis + 5 s before killing it; the Helm chart requires
# terminationGracePeriodSeconds above the same bound.
EXIT_BOUND_S = GRACE_S + 5
JVM_START_S = 120.0  # first record arrives 32-37 s after JVM start on this machine; generous for CI


@pytest.fixture
def kcl_available() -> None:
    if shutil.which("java") is None:
        pytest.fail("java is not on PATH: install a JDK 17 (CI has one) to run the MultiLangDaemon tests")
    try:
        jars_dir(ConsumerSettings(stream="x", application_name="x"))
    except KclJarsNotFoundError as exc:
        pytest.fail(f"{exc}: run `make venv` (installs requirements/kcl-test.txt)")


def test_multilangdaemon_split_kill_takeover_sigterm_and_python_handover(
    kcl_available: None, scenario: Scenario
) -> None:
    s = scenario
    mark("start")
    # 1. The Python driver reads the first 1,000 records and hands over on SIGTERM.
    s.put(range(0, 1000))
    s.start("P0", "python")
    wait_until(lambda: s.count() >= 1000, 60, "the Python driver to write the first 1,000 records")
    assert s.terminate("P0", timeout=GRACE_S) == 0
    python_checkpoints = {k: v["checkpoint"]["S"] for k, v in s.leases().items()}

    # 2. Daemon A resumes from those checkpoints; daemon B joins and takes one of the two leases.
    s.put(range(1000, 4000))
    s.start("A", "kcl")
    wait_until(lambda: s.count() >= 1500, JVM_START_S, "daemon A to write its first records")
    s.start("B", "kcl", fail_first_batches=1)  # B's first batch fails and is retried in process_records
    wait_until(lambda: set(s.owners().values()) == {"A", "B"}, JVM_START_S, "daemon B to take one lease from A")
    mark("split")

    # 3. More records while A is killed mid-stream; B takes over A's lease.
    producer = s.put_in_steps(4000, 11_000)
    wait_until(lambda: s.count() >= 6000, 120, "6,000 records written by A and B")
    s.kill("A")
    producer.join()
    mark("killed A")
    wait_until(lambda: set(s.owners().values()) == {"B"}, 120, "daemon B to take over A's lease")
    wait_until(lambda: s.count() >= 11_000, 120, "all 11,000 records written")
    assert python_checkpoints and all(cp.isdigit() for cp in python_checkpoints.values())

    # 4. A Python-driver worker joins the running daemon and steals its fair share of the leases.
    s.start("P1", "python")
    s.put(range(11_000, 11_250))
    owners = wait_until(
        lambda: (o := s.owners()) and set(o.values()) == {"B", "P1"} and o, 60, "P1 to steal one lease from daemon B"
    )
    b_shard = next(shard for shard, owner in owners.items() if owner == "B")
    wait_until(lambda: s.count() >= 11_250, 60, "11,250 records written by B and P1")

    # 5. SIGTERM: shutdown_requested lands B's checkpoint at its shard's tip, and B exits within the bound.
    assert s.terminate("B", timeout=EXIT_BOUND_S) == 0
    mark("terminated B")
    assert int(s.leases()[b_shard]["checkpoint"]["S"]) == s.shard_tips()[b_shard]

    # 6. The Python driver takes over B's lease and resumes from the daemon's checkpoint.
    s.put(range(11_250, 11_500))
    wait_until(lambda: set(s.owners().values()) == {"P1"}, 60, "P1 to take over B's lease")
    wait_until(lambda: s.count() >= 11_500, 60, "all 11,500 records written")
    rows = s.written()
    assert_exactly_once(rows, range(11_500))
    by_python = {r["id"] for r in rows if r["driver"] == "python"}
    # The daemons resumed from P0's checkpoints (they re-wrote none of its records), and P1 resumed from
    # the daemons' checkpoints (it re-wrote none of theirs).
    assert set(range(1000)) | set(range(11_250, 11_500)) <= by_python
    assert not by_python & set(range(1000, 11_000)), "the Python driver re-wrote records the daemons checkpointed"
    assert s.terminate("P1", timeout=GRACE_S) == 0
    assert {k: int(v["checkpoint"]["S"]) for k, v in s.leases().items()} == s.shard_tips()
    mark("done")
