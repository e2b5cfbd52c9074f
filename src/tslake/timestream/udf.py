"""Timeseries functions for DuckDB: the Python side finds, for each requested point, where it falls in the
series (a binary search per series, which SQL list functions can't do); SQL macros then pick the values,
so one implementation serves every value type.

A Timestream timeseries is a DuckDB `LIST(STRUCT(time TIMESTAMP_NS, value ...))` sorted by time. The Python
functions return a struct of equally long lists: the kept points and the 1-based indexes to pick.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
from duckdb import sqltypes

_NS = pa.timestamp("ns")
_LOCF_TYPE = pa.struct([("time", pa.list_(_NS)), ("i", pa.list_(pa.int32()))])
_LINEAR_TYPE = pa.struct(
    [("time", pa.list_(_NS)), ("i", pa.list_(pa.int32())), ("j", pa.list_(pa.int32())), ("w", pa.list_(pa.float64()))]
)


def _rows(times: pa.ChunkedArray, points: pa.ChunkedArray) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Per input row, (series times, points) as int64 nanoseconds, or None where either is NULL."""
    t_arr = times.combine_chunks().cast(pa.list_(_NS))
    p_arr = points.combine_chunks().cast(pa.list_(_NS))
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    t_valid, p_valid = t_arr.is_valid().to_pylist(), p_arr.is_valid().to_pylist()
    t_offsets, p_offsets = t_arr.offsets.to_numpy(), p_arr.offsets.to_numpy()
    t_flat = t_arr.values.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    p_flat = p_arr.values.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    for row in range(len(t_arr)):
        if not (t_valid[row] and p_valid[row]):
            out.append(None)
            continue
        out.append(
            (
                t_flat[t_offsets[row] : t_offsets[row + 1]],
                p_flat[p_offsets[row] : p_offsets[row + 1]],
            )
        )
    return out


def _build(rows: list[dict[str, np.ndarray] | None], struct_type: pa.StructType) -> pa.Array:
    """A struct of equally long lists per row (NULL where the input was NULL)."""
    offsets = [0]
    columns: dict[str, list[np.ndarray]] = {f.name: [] for f in struct_type}
    validity = []
    for row in rows:
        validity.append(row is not None)
        if row is None:
            offsets.append(offsets[-1])
            continue
        for name in columns:
            columns[name].append(row[name])
        offsets.append(offsets[-1] + len(row["time"]))
    offset_array = pa.array(offsets, pa.int32())
    children = []
    for f in struct_type:
        parts = columns[f.name]
        flat = np.concatenate(parts) if parts else np.array([], dtype=np.int64)
        item_type = f.type.value_type
        if item_type == _NS:
            values = pa.array(flat.astype(np.int64), pa.int64()).cast(_NS)
        else:
            values = pa.array(flat, item_type)
        children.append(pa.ListArray.from_arrays(offset_array, values))
    mask = pa.array([not v for v in validity], pa.bool_())
    return pa.StructArray.from_arrays(children, fields=list(struct_type), mask=mask)


Index = dict[str, np.ndarray]  # one row of a returned struct: equally long arrays


def _per_series(
    times: pa.ChunkedArray,
    points: pa.ChunkedArray,
    index: Callable[[np.ndarray, np.ndarray], Index],
    struct_type: pa.StructType,
) -> pa.Array:
    """`index(series times, points)` for every row where neither is NULL; NULL rows stay NULL."""
    return _build([None if row is None else index(*row) for row in _rows(times, points)], struct_type)


def locf_index(times: pa.ChunkedArray, points: pa.ChunkedArray) -> pa.Array:
    """Index (1-based) of the last reading at or before each point; points before the first reading drop."""
    return _per_series(times, points, _locf_row, _LOCF_TYPE)


def _locf_row(t: np.ndarray, p: np.ndarray) -> Index:
    idx = np.searchsorted(t, p, side="right")
    keep = idx > 0
    return {"time": p[keep], "i": idx[keep].astype(np.int32)}


def linear_index(times: pa.ChunkedArray, points: pa.ChunkedArray) -> pa.Array:
    """For each point inside the series' range: the two bracketing readings and the weight of the second.
    Points outside [first, last] reading are dropped, as Timestream does."""
    return _per_series(times, points, _linear_row, _LINEAR_TYPE)


def _linear_row(t: np.ndarray, p: np.ndarray) -> Index:
    if len(t) == 0:
        return {"time": p[:0], "i": p[:0].astype(np.int32), "j": p[:0].astype(np.int32), "w": p[:0].astype(np.float64)}
    keep = (p >= t[0]) & (p <= t[-1])
    p = p[keep]
    hi = np.searchsorted(t, p, side="left")  # first reading at or after the point (0-based)
    exact = t[np.minimum(hi, len(t) - 1)] == p
    lo = np.where(exact, hi, hi - 1)
    hi = np.where(exact, hi, hi)
    span = (t[hi] - t[lo]).astype(np.float64)
    weight = np.where(span > 0, (p - t[lo]).astype(np.float64) / np.where(span > 0, span, 1.0), 0.0)
    return {"time": p, "i": (lo + 1).astype(np.int32), "j": (hi + 1).astype(np.int32), "w": weight}


def exact_index(times: pa.ChunkedArray, points: pa.ChunkedArray) -> pa.Array:
    """Index (1-based) of a reading exactly at each point, 0 where there is none (INTERPOLATE_FILL)."""
    return _per_series(times, points, _exact_row, _LOCF_TYPE)


def _exact_row(t: np.ndarray, p: np.ndarray) -> Index:
    idx = np.searchsorted(t, p, side="left")
    found = (idx < len(t)) & (t[np.minimum(idx, max(len(t) - 1, 0))] == p) if len(t) else np.zeros(len(p), bool)
    return {"time": p, "i": np.where(found, idx + 1, 0).astype(np.int32)}


_TIMES = "list_transform(ts, lambda x: CAST(x.time AS TIMESTAMP_NS))"
_POINTS = "CAST(pts AS TIMESTAMP_NS[])"

# The macros pick values with list_select and zip the lists back into (time, value) pairs. A lambda that
# captured the series itself (ts[r.i]) would copy it once per point: quadratic, a minute for 90k points.
MACROS = {
    "__ts_now": ("()", "CAST(now() AS TIMESTAMP_NS)"),
    "__ts_ago": ("(ns)", "make_timestamp_ns(epoch_ns(CAST(now() AS TIMESTAMP_NS)) - ns)"),
    "__ts_interval_ns": ("(i)", "CAST(round(epoch(i) * 1000000000) AS BIGINT)"),
    # Timestream's aggregate: (time, value) pairs sorted by time; NULL values are left out.
    "__ts_create_time_series": (
        "(t, v)",
        "list({'time': CAST(t AS TIMESTAMP_NS), 'value': v} ORDER BY t) FILTER (WHERE v IS NOT NULL)",
    ),
    "__ts_sequence": (
        "(a, b, step_ns)",
        "list_transform(range(0, (epoch_ns(b) - epoch_ns(a)) // step_ns + 1), "
        "lambda k: make_timestamp_ns(epoch_ns(a) + k * step_ns))",
    ),
    "__ts_bin": (
        "(t, step_ns)",
        "make_timestamp_ns(epoch_ns(t) - (((epoch_ns(t) % step_ns) + step_ns) % step_ns))",
    ),
    "__ts_pick_locf": (
        "(r, ts)",
        "CASE WHEN r IS NOT NULL THEN list_transform(list_zip(r.time, list_select(ts, r.i)), "
        "lambda z: {'time': z[1], 'value': z[2].value}) END",
    ),
    "__ts_pick_linear": (
        "(r, ts)",
        "CASE WHEN r IS NOT NULL THEN list_transform("
        "list_zip(r.time, list_select(ts, r.i), list_select(ts, r.j), r.w), "
        "lambda z: {'time': z[1], 'value': CAST(z[2].value AS DOUBLE) "
        "+ (CAST(z[3].value AS DOUBLE) - CAST(z[2].value AS DOUBLE)) * z[4]}) END",
    ),
    "__ts_pick_fill": (
        "(r, ts, fill)",
        "CASE WHEN r IS NOT NULL THEN list_transform(list_zip(r.time, list_select(ts, r.i), r.i), "
        "lambda z: {'time': z[1], 'value': CASE WHEN z[3] > 0 THEN z[2].value ELSE fill END}) END",
    ),
    "__ts_interpolate_locf": ("(ts, pts)", f"__ts_pick_locf(__ts_locf_index({_TIMES}, {_POINTS}), ts)"),
    "__ts_interpolate_linear": ("(ts, pts)", f"__ts_pick_linear(__ts_linear_index({_TIMES}, {_POINTS}), ts)"),
    "__ts_interpolate_fill": (
        "(ts, pts, fill)",
        f"__ts_pick_fill(__ts_exact_index({_TIMES}, {_POINTS}), ts, fill)",
    ),
}


def register(con: duckdb.DuckDBPyConnection) -> None:
    ns_list = duckdb.list_type(sqltypes.TIMESTAMP_NS)
    int_list = duckdb.list_type(sqltypes.INTEGER)
    locf = duckdb.struct_type({"time": ns_list, "i": int_list})
    linear = duckdb.struct_type({"time": ns_list, "i": int_list, "j": int_list, "w": duckdb.list_type(sqltypes.DOUBLE)})
    functions: list[tuple[str, Callable[..., pa.Array], duckdb.sqltypes.DuckDBPyType]] = [
        ("__ts_locf_index", locf_index, locf),
        ("__ts_linear_index", linear_index, linear),
        ("__ts_exact_index", exact_index, locf),
    ]
    for name, function, return_type in functions:
        con.create_function(name, function, [ns_list, ns_list], return_type, type="arrow")  # type: ignore[call-overload]
    for name, (params, body) in MACROS.items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}{params} AS {body}")
