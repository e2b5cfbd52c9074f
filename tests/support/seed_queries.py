"""The seed's Timestream queries (queries.txt 1-3 and the exporter's interpolation query, 4), verbatim except
for the placeholders `<database>`, `<raw table>`, `<window start>` and `<window end>`.

Tests and benchmarks run the seed's own text, to show the engine answers what the seed asked. The
exporter's query (`tslake.export.queries`) deliberately differs from query 4 (half-open window, a join
instead of the cross product), so it is not the reference here.
"""

from __future__ import annotations

QUERY_1 = """WITH per_sensor AS (
    SELECT sensor_id,
           INTERPOLATE_LINEAR(CREATE_TIME_SERIES(time, measure_value::double),
                              SEQUENCE(min(time), max(time), 1s)) AS temp_series,
           INTERPOLATE_LOCF(CREATE_TIME_SERIES(time, status),
                            SEQUENCE(min(time), max(time), 1s)) AS status_series
    FROM "<database>"."<raw table>"
    WHERE measure_name = 'temperature' AND time >= ago(15m)
    GROUP BY sensor_id
)
SELECT p.sensor_id, t.time, min(s.status) AS status, avg(t.temp) AS temperature
FROM per_sensor AS p
CROSS JOIN UNNEST(temp_series) AS t (time, temp)
CROSS JOIN UNNEST(status_series) AS s (time, status)
WHERE t.time = s.time
GROUP BY p.sensor_id, t.time"""

QUERY_2 = """SELECT sensor_id,
       INTERPOLATE_LINEAR(CREATE_TIME_SERIES(time, measure_value::double),
                          SEQUENCE(min(time), max(time), 1s)) AS temp_series,
       INTERPOLATE_LOCF(CREATE_TIME_SERIES(time, status),
                        SEQUENCE(min(time), max(time), 1s)) AS status_series
FROM "<database>"."<raw table>"
WHERE measure_name = 'temperature' AND time >= ago(15m)
GROUP BY sensor_id"""

QUERY_3 = """SELECT sensor_id,
       CREATE_TIME_SERIES(time, measure_value::double) AS temp_series,
       CREATE_TIME_SERIES(time, status) AS status_series
FROM "<database>"."<raw table>"
WHERE measure_name = 'temperature' AND time >= ago(1m)
GROUP BY sensor_id"""

QUERY_4 = QUERY_1.replace("time >= ago(15m)", "time BETWEEN '<window start>' AND '<window end>'")


def seed_sql(template: str, database: str, table: str, **window: str) -> str:
    """Fill in the placeholders; `start=` and `end=` fill `<window start>` and `<window end>`."""
    sql = template.replace("<database>", database).replace("<raw table>", table)
    for key, value in window.items():
        sql = sql.replace(f"<window {key}>", value)
    return sql
