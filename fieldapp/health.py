"""/healthz: whether this instance can take writes, for a load balancer and the operator.

"ok" (200) or "degraded" (503) with the reasons: free disk under HEALTH_MIN_FREE_MB beside the
database, a file that cannot be written there, or the write lock not obtained within
HEALTH_LOCK_WAIT_MS (writers queued past what a request would wait).  Nothing is written to the
database: the lock probe takes the lock and rolls back at once.
"""

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path


def check(db_path: str, *, min_free_mb: float, lock_wait_ms: int) -> dict:
    """{"status": "ok"|"degraded", "reasons": [...], "free_mb": float}."""
    reasons = []
    folder = Path(db_path).resolve().parent
    free_mb = shutil.disk_usage(folder).free / 1024 / 1024
    if free_mb < min_free_mb:
        reasons.append(f"free disk {free_mb:.0f} MB is under {min_free_mb:.0f} MB")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-") as probe:
            probe.write(b"\0" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        reasons.append(f"cannot write beside the database: {error.strerror or error}")
    try:
        conn = sqlite3.connect(db_path, timeout=lock_wait_ms / 1000, isolation_level=None)
        try:
            conn.execute("select 1").fetchone()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.Error as error:
        reasons.append(f"write lock not obtained within {lock_wait_ms} ms: {error}")
    return {"status": "degraded" if reasons else "ok", "reasons": reasons,
            "free_mb": round(free_mb, 1)}
