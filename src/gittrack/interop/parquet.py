"""The export's Parquet files, written with pyarrow (the optional ``[parquet]`` extra).

Column types: see :mod:`gittrack.interop.export`.  Imported only when ``--format parquet``
is asked for, so gittrack runs without pyarrow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gittrack.store import names

_MS_UTC = pa.timestamp("ms", tz="UTC")
METRICS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("key", pa.string()),
        ("step", pa.int64()),
        ("timestamp", _MS_UTC),
        ("value", pa.float64()),
    ]
)
_BATCH = 200_000  # rows per row group written


def write_runs(path: Path, columns: dict[str, list[Any]]) -> None:
    arrays = {name: _array(name, values) for name, values in columns.items()}
    pq.write_table(pa.table(arrays), path)


def _array(name: str, values: list[Any]) -> pa.Array:
    if name in ("start_time", "end_time"):
        return pa.array(values, type=pa.int64()).cast(_MS_UTC)
    present = [v for v in values if v is not None]
    if name.startswith("metrics.") or name == "duration":
        return pa.array(values, type=pa.float64())
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.int64())
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    return pa.array([None if v is None else names.param_str(v) for v in values], type=pa.string())


def write_metrics(path: Path, points: Iterator[tuple[str, str, list[int], list[int], list[float]]]) -> int:
    """The long metrics table, written in row groups so memory stays bounded; the rows written."""
    count = 0
    batch: dict[str, list[Any]] = {name: [] for name in METRICS_SCHEMA.names}
    with pq.ParquetWriter(path, METRICS_SCHEMA) as writer:
        for run_id, key, steps, stamps, values in points:
            batch["run_id"] += [run_id] * len(steps)
            batch["key"] += [key] * len(steps)
            batch["step"] += steps
            batch["timestamp"] += stamps
            batch["value"] += values
            count += len(steps)
            if len(batch["step"]) >= _BATCH:
                _flush(writer, batch)
        _flush(writer, batch)
    return count


def _flush(writer: pq.ParquetWriter, batch: dict[str, list[Any]]) -> None:
    if batch["step"]:
        table = pa.table(
            {
                "run_id": pa.array(batch["run_id"], pa.string()),
                "key": pa.array(batch["key"], pa.string()),
                "step": pa.array(batch["step"], pa.int64()),
                "timestamp": pa.array(batch["timestamp"], pa.int64()).cast(_MS_UTC),
                "value": pa.array(batch["value"], pa.float64()),
            },
            schema=METRICS_SCHEMA,
        )
        writer.write_table(table)
    for values in batch.values():
        values.clear()
