"""Time and peak memory of importing an HSDS 3.1 package of N services (default 5,000).

    .venv/bin/python bench/hsds_import.py [--services 5000]

Builds a synthetic directory (bench/directory_search.py's realistic generator), exports it with
`flask export-hsds` (a real HSDS 3.1 Tabular Data Package), then runs `flask import-hsds` into a
fresh database in a child process, twice (the second import must change nothing), and reports
wall time and the child's peak RSS.  Budget: importing 5,000 services under 300 MB.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "fieldapp"]


def run(env: dict, *args: str) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of this child, output) of one flask command."""
    script = ("import resource, subprocess, sys; "
              "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
              "print(p.stdout[-4000:]); print(p.stderr[-2000:], file=sys.stderr); "
              "print('RSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
              "sys.exit(p.returncode)")
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, *FLASK, *args], env=env,
                          capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"{args[0]} failed:\n{done.stdout}\n{done.stderr}")
    rss_kb = int(done.stdout.strip().splitlines()[-1].split()[1])
    return elapsed, rss_kb / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    args = parser.parse_args()
    from bench import directory_search

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.db"
        directory_search.build(source, args.services)
        package = Path(tmp) / "package"
        base = {**os.environ, "FIELDAPP_SECRET_KEY": "bench-only"}
        run({**base, "FIELDAPP_DATABASE": str(source)}, "export-hsds", str(package))
        size = sum(f.stat().st_size for f in package.iterdir()) / 1e6
        target = {**base, "FIELDAPP_DATABASE": str(Path(tmp) / "target.db")}
        run(target, "init-db")
        first = run(target, "import-hsds", str(package))
        again = run(target, "import-hsds", str(package))
    print(f"package: {args.services} synthetic services plus the demo listings, "
          f"{size:.1f} MB of CSV")
    print(f"first import:  {first[0]:.1f} s, peak RSS {first[1]:.1f} MB")
    print(f"second import: {again[0]:.1f} s, peak RSS {again[1]:.1f} MB")
    print("first import report (head):")
    print("\n".join(first[2].splitlines()[:12]))
    print("second import report (head):")
    print("\n".join(again[2].splitlines()[:6]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
