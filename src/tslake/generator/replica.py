"""Replica identity: N generator replicas must never share a sensor id.

Replica r owns sensors r*S .. r*S+S-1 (S sensors each), so replica 0 is exactly the seed's
`sensor-00`..`sensor-99` and each added replica adds S new sensors (a load test scales by replicas).
"""

from __future__ import annotations

import re

_ORDINAL = re.compile(r"-(\d+)$")


class ReplicaIdentityError(ValueError):
    """The pod name carries no ordinal and no explicit replica id was given."""


def replica_id_from(explicit: int | None, pod_name: str | None, hostname: str | None) -> int:
    """Explicit setting first, then the StatefulSet ordinal of the pod name (or hostname), else 0."""
    if explicit is not None:
        return explicit
    if pod_name:
        match = _ORDINAL.search(pod_name)
        if not match:
            raise ReplicaIdentityError(
                f"pod name {pod_name!r} has no ordinal; run the generator as a StatefulSet "
                "or set TSLAKE_GENERATOR_REPLICA_ID"
            )
        return int(match.group(1))
    if hostname and (match := _ORDINAL.search(hostname)):
        return int(match.group(1))
    return 0


def sensor_ids(replica_id: int, sensors: int) -> list[str]:
    first = replica_id * sensors
    return [f"sensor-{i:02d}" for i in range(first, first + sensors)]
