#!/usr/bin/env python3
"""SQLite alone on this disk, as an anchor for durable_creates.sh: inserts of an operation-sized
row in WAL mode with synchronous=FULL, one per commit and 100 per commit."""
import os
import sqlite3
import sys
import tempfile
import time
import uuid


def run(rows_per_commit: int, seconds: float = 3.0) -> float:
    path = os.path.join(tempfile.mkdtemp(prefix="lrod-sqlite-"), "bench.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE ops (id TEXT PRIMARY KEY, principal TEXT, type TEXT, status INT,"
               " created INT, updated INT) WITHOUT ROWID")
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        db.execute("BEGIN")
        for _ in range(rows_per_commit):
            db.execute("INSERT INTO ops VALUES (?, 'anonymous', 'Item.Create', 1, 0, 0)",
                       (str(uuid.uuid4()),))
        db.execute("COMMIT")
        done += rows_per_commit
    return done / (time.perf_counter() - start)


if __name__ == "__main__":
    for n in (1, 100):
        print(f"sqlite WAL synchronous=FULL, {n:>3} insert(s) per commit: {run(n):>9.0f} inserts/s")
    sys.exit(0)
