"""Reads and writes StreamForge Kafka values with pyarrow, for the Java interop test.

  interop.py read FILE...          prints, as JSON, each file's schema metadata, types and rows
  interop.py write-metrics FILE N  writes a 'metric' batch of N points, ZSTD-compressed
"""
import datetime
import json
import sys

import pyarrow as pa
import pyarrow.ipc as ipc


def read(paths):
    out = {}
    for path in paths:
        with open(path, "rb") as f:
            table = ipc.open_stream(f).read_all()
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        out[path] = {
            "metadata": meta,
            "types": {field.name: str(field.type) for field in table.schema},
            "rows": table.to_pylist(),
        }
    print(json.dumps(out, default=str))


def write_metrics(path, n):
    t0 = datetime.datetime(2026, 11, 24, tzinfo=datetime.timezone.utc)
    schema = pa.schema(
        [
            ("source", pa.utf8()),
            ("run", pa.utf8()),
            pa.field("step", pa.int64(), nullable=False),
            ("name", pa.utf8()),
            pa.field("value", pa.float64(), nullable=False),
            ("time", pa.timestamp("us", tz="UTC")),
            ("labels", pa.map_(pa.utf8(), pa.utf8())),
        ],
        metadata={"streamforge.schema": "metric", "streamforge.schema.version": "1.0"},
    )
    batch = pa.record_batch(
        [
            pa.array(["python"] * n),
            pa.array([f"run-{i % 3}" for i in range(n)]),
            pa.array(list(range(n)), pa.int64()),
            pa.array(["loss"] * n),
            pa.array([1.0 / (i + 1) for i in range(n)], pa.float64()),
            pa.array([t0 + datetime.timedelta(milliseconds=i) for i in range(n)], pa.timestamp("us", tz="UTC")),
            pa.array([[("split", "val"), ("i", str(i))] for i in range(n)], pa.map_(pa.utf8(), pa.utf8())),
        ],
        schema=schema,
    )
    options = ipc.IpcWriteOptions(compression="zstd")
    with open(path, "wb") as f, ipc.new_stream(f, schema, options=options) as writer:
        writer.write_batch(batch)


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(sys.argv[2:])
    elif sys.argv[1] == "write-metrics":
        write_metrics(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("unknown mode " + sys.argv[1])
