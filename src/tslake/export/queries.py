"""The export queries: the ONLY copy of their text. `tslake exporter` and the MWAA DAG both come here.

The interpolation query is the seed's query 4: query 1 (per sensor, 1 s grid, linear temperature,
LOCF status) over one export window instead of `ago(15m)`, with the same rows. Three deliberate details:

- **Half-open window.** The seed filtered `time BETWEEN '<start>' AND '<end>'`, which includes both
  ends, so a reading exactly on a boundary was exported by two consecutive windows. We keep the same
  `YYYY-MM-DD HH:MM:SS` literals but filter `time >= '<start>' AND time < '<end>'`: [start, end).
- **The grid is the seed's.** Each sensor's grid is `SEQUENCE(min(time), max(time), 1s)` over its
  readings *in the window*: it starts at the sensor's first reading in the window (not at a whole
  second) and ends at or before its last. Every grid point therefore lies inside [start, end), so
  consecutive windows never export the same grid point; the stretch between a sensor's last reading
  of one window and its first of the next is not interpolated by either (the seed's behaviour).
- **A join instead of a cross product.** The seed unnested both series side by side
  (`CROSS JOIN UNNEST(temp_series) t CROSS JOIN UNNEST(status_series) s WHERE t.time = s.time`), which
  pairs every grid point of a sensor with every other: n^2 per sensor, 13 million pairs per sensor-hour.
  Here each series is unnested once and the two are joined on (sensor_id, time): the same rows, linear
  in the window's length (an hour of 100 sensors ran out of memory the seed's way on the local engine).
  Still plain Timestream SQL: CTEs, `CROSS JOIN UNNEST`, an equi-join, GROUP BY.
"""

from __future__ import annotations

from tslake.export.window import SQL_FORMAT, Window

INTERPOLATION_QUERY = """\
WITH per_sensor AS (
    SELECT sensor_id,
           INTERPOLATE_LINEAR(CREATE_TIME_SERIES(time, measure_value::double),
                              SEQUENCE(min(time), max(time), 1s)) AS temp_series,
           INTERPOLATE_LOCF(CREATE_TIME_SERIES(time, status),
                            SEQUENCE(min(time), max(time), 1s)) AS status_series
    FROM "{database}"."{table}"
    WHERE measure_name = 'temperature' AND time >= '{start}' AND time < '{end}'
    GROUP BY sensor_id
), temps AS (
    SELECT p.sensor_id, t.time, t.temp
    FROM per_sensor AS p CROSS JOIN UNNEST(temp_series) AS t (time, temp)
), statuses AS (
    SELECT p.sensor_id, s.time, s.status
    FROM per_sensor AS p CROSS JOIN UNNEST(status_series) AS s (time, status)
)
SELECT t.sensor_id, t.time, min(s.status) AS status, avg(t.temp) AS temperature
FROM temps AS t
JOIN statuses AS s ON s.sensor_id = t.sensor_id AND s.time = t.time
GROUP BY t.sensor_id, t.time
"""

# The CEP table in the seed Lambda's layout: four single-measure records per event sharing time and the
# dimensions sensor_id, non_errors, history; pivoted back to one row per event (the seed's Grafana pivot).
CEP_QUERY = """\
SELECT sensor_id, time, CAST(non_errors AS BIGINT) AS non_errors, history,
       MAX(CASE WHEN measure_name = 'min_temperature' THEN measure_value::double END) AS min_temperature,
       MAX(CASE WHEN measure_name = 'avg_temperature' THEN measure_value::double END) AS avg_temperature,
       MAX(CASE WHEN measure_name = 'max_temperature' THEN measure_value::double END) AS max_temperature,
       MAX(CASE WHEN measure_name = 'elapsed' THEN measure_value::double END) AS elapsed
FROM "{database}"."{table}"
WHERE time >= '{start}' AND time < '{end}'
GROUP BY sensor_id, time, non_errors, history
"""


# Which columns a table has (its ColumnInfo); a table that has never had data has no dimension columns.
COLUMNS_QUERY = 'SELECT * FROM "{database}"."{table}" LIMIT 1'


def columns_query(database: str, table: str) -> str:
    _check_names(database, table)
    return COLUMNS_QUERY.format(database=database, table=table)


def _check_names(database: str, table: str) -> None:
    for name, value in (("database", database), ("table", table)):
        if not value or '"' in value:
            raise ValueError(f"invalid Timestream {name} name: {value!r}")


def _render(template: str, database: str, table: str, window: Window) -> str:
    _check_names(database, table)
    return template.format(
        database=database, table=table, start=window.start.strftime(SQL_FORMAT), end=window.end.strftime(SQL_FORMAT)
    )


def interpolation_query(database: str, table: str, window: Window) -> str:
    return _render(INTERPOLATION_QUERY, database, table, window)


def cep_query(database: str, table: str, window: Window) -> str:
    return _render(CEP_QUERY, database, table, window)
