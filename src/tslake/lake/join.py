"""The seed's Part 3.2: exported readings joined to customers through the sensor mapping."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from tslake import names
from tslake.lake.query import query

# Row level, as the seed ran it in Athena (readings -> sensor_mapping -> customer_data).
PART_3_2_JOIN = """\
SELECT r.sensor_id, r.time, r.status, r.temperature,
       c.customer_id, c.company_name, c.contact_person, c.contract_type
FROM interpolated AS r
JOIN sensor_mapping AS m ON r.sensor_id = m.sensor_id
JOIN customer_data AS c ON m.customer_id = c.customer_id
ORDER BY r.sensor_id, r.time
"""

# The same join, one line per customer: what `tslake run` prints at the end.
JOIN_SUMMARY = """\
SELECT c.customer_id, c.company_name, c.contract_type,
       count(DISTINCT r.sensor_id) AS sensors,
       count(*) AS readings,
       round(avg(r.temperature), 2) AS avg_temperature,
       count(*) FILTER (WHERE r.status = 'ERROR') AS error_readings
FROM interpolated AS r
JOIN sensor_mapping AS m ON r.sensor_id = m.sensor_id
JOIN customer_data AS c ON m.customer_id = c.customer_id
GROUP BY c.customer_id, c.company_name, c.contract_type
ORDER BY c.customer_id
"""


def render(table: pa.Table, max_rows: int = 50) -> str:
    """Plain aligned text (no colours: it goes to logs and terminals alike)."""
    columns = table.column_names
    rows = [
        [("" if v is None else f"{v:,.2f}" if isinstance(v, float) else str(v)) for v in row.values()]
        for row in table.slice(0, max_rows).to_pylist()
    ]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    if table.num_rows > max_rows:
        lines.append(f"... {table.num_rows - max_rows:,} more rows")
    return "\n".join(lines)


@dataclass(frozen=True)
class JoinSummary:
    table: pa.Table

    @property
    def readings(self) -> int:
        return int(sum(self.table.column("readings").to_pylist())) if self.table.num_rows else 0

    def render(self) -> str:
        return render(self.table)


def lake_join_summary(bucket: str = names.LAKE_BUCKET) -> JoinSummary:
    """Per customer: sensors, interpolated readings, average temperature (the Part 3.2 join)."""
    return JoinSummary(query(JOIN_SUMMARY, bucket))
