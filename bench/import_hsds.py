"""Time and peak memory of importing a messy HSDS 1.1 export of N services (default 5,000), the
layout a regional 2-1-1 ships (bench/hsds_messy.py: a folder with data/, wrong descriptor
paths, ids repeating the service id, free-text languages, extensions, unreadable hours).

    .venv/bin/python bench/import_hsds.py [--services 5000]

Runs `flask import-hsds` on the folder into a fresh database in a child process, then again
(the second import must change nothing), and reports wall time and the child's peak RSS.
Goal: 5,000 services in at most 10 s and 300 MB.  Figures: bench/RESULTS.md.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hsds_import import run  # noqa: E402  (bench/ is run as a script)
from bench.hsds_messy import write_messy  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "export"
        expected = write_messy(package, services=args.services)
        rows = sum(c["read"] for c in expected.values())
        size = sum(f.stat().st_size for f in package.rglob("*") if f.is_file()) / 1e6
        env = {**os.environ, "FIELDAPP_SECRET_KEY": "bench-only",
               "FIELDAPP_DATABASE": str(Path(tmp) / "target.db")}
        run(env, "init-db")
        first = run(env, "import-hsds", str(package))
        again = run(env, "import-hsds", str(package))
    print(f"package: {args.services} messy services, {rows} rows in {len(expected)} files, "
          f"{size:.1f} MB")
    print(f"first import:  {first[0]:.1f} s, peak RSS {first[1]:.1f} MB")
    print(f"second import: {again[0]:.1f} s, peak RSS {again[1]:.1f} MB")
    print("first import reconciliation:")
    print("\n".join(first[2].splitlines()[:40]))


if __name__ == "__main__":
    main()
