"""Time, CPU time and peak memory of importing N services (default 5,000) from one of two
sources:

- `messy` (default): a messy HSDS 1.1 export, the layout a regional 2-1-1 ships
  (bench/hsds_messy.py: a folder with data/, wrong descriptor paths, ids repeating the service
  id, free-text languages, extensions, unreadable hours);
- `package`: a clean HSDS 3.1 Tabular Data Package, written by `flask export-hsds` from
  bench/directory_search.py's realistic generated directory.

    .venv/bin/python bench/import_hsds.py [--source messy|package] [--services 5000] [--runs 3]
                                          [--profile]

Runs `flask import-hsds` on the folder into a fresh database in a child process, then again
(the second import must change nothing), `--runs` times, and reports the median wall time,
CPU time (user + system of the child: the figure that stays comparable on a loaded machine)
and the child's peak RSS, with the load average.  `--profile`: also one import in this process
under cProfile (CPU clock), its top frames.
Goal: 5,000 services in at most 10 s and 300 MB.  Figures: bench/RESULTS.md.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "fieldapp"]

from bench.hsds_messy import write_messy  # noqa: E402  (bench/ is run as a script)


def run(env: dict, *args: str) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, output) of one flask command in a child process."""
    script = ("import resource, subprocess, sys; "
              "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
              "print(p.stdout[-6000:]); print(p.stderr[-2000:], file=sys.stderr); "
              "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
              "print('RUSAGE', u.ru_utime + u.ru_stime, u.ru_maxrss); "
              "sys.exit(p.returncode)")
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, *FLASK, *args], env=env,
                          capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"{args[0]} failed:\n{done.stdout}\n{done.stderr}")
    _, cpu, rss_kb = done.stdout.strip().splitlines()[-1].split()
    return elapsed, float(cpu), int(rss_kb) / 1024, done.stdout


def profile(package: Path, tmp: Path, top: int = 15) -> None:
    """One import in this process under cProfile (CPU clock): the top frames."""
    import fieldapp.accounts  # noqa: F401  (lazy: only --profile needs the app in-process)
    from fieldapp import create_app
    from fieldapp.db import connect, migrate
    from fieldapp.directory import hsds

    database = str(tmp / "profile.db")
    app = create_app({"SECRET_KEY": "bench-only", "DATABASE": database})
    with app.app_context():
        db = connect(database)
        migrate(db)
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        hsds.import_package(db, package, "2026-03-02T14:00:00+00:00")
        profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"in-process import under cProfile: {stats.total_tt:.1f} s CPU (profiler included)")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def write_package(package: Path, tmp: Path, services: int) -> str:
    """A clean HSDS 3.1 package of `services` generated services (plus the demo listings),
    exported by `flask export-hsds`; its description."""
    from bench import directory_search  # lazy: only this source needs the generator

    source = tmp / "source.db"
    directory_search.build(source, services)
    run({**os.environ, "FIELDAPP_SECRET_KEY": "bench-only", "FIELDAPP_DATABASE": str(source)},
        "export-hsds", str(package))
    return f"{services} generated services plus the demo listings, as an HSDS 3.1 package"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", choices=("messy", "package"), default="messy")
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "export"
        if args.source == "messy":
            expected = write_messy(package, services=args.services)
            rows = sum(c["read"] for c in expected.values())
            what = f"{args.services} messy services, {rows} rows in {len(expected)} files"
        else:
            what = write_package(package, Path(tmp), args.services)
        size = sum(f.stat().st_size for f in package.rglob("*") if f.is_file()) / 1e6
        firsts, agains, output = [], [], ""
        for n in range(args.runs):
            env = {**os.environ, "FIELDAPP_SECRET_KEY": "bench-only",
                   "FIELDAPP_DATABASE": str(Path(tmp) / f"target{n}.db")}
            run(env, "init-db")
            first = run(env, "import-hsds", str(package))
            firsts.append(first[:3])
            output = first[3]
            agains.append(run(env, "import-hsds", str(package))[:3])
        load = os.getloadavg()
        if args.profile:
            profile(package, Path(tmp))
    print(f"package: {what}, "
          f"{size:.1f} MB; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"on {os.cpu_count()} cores")
    for name, runs in (("first import ", firsts), ("second import", agains)):
        walls, cpus, rss = zip(*runs, strict=True)
        print(f"{name}: median of {len(runs)}: wall {statistics.median(walls):.1f} s, "
              f"CPU {statistics.median(cpus):.2f} s (runs {', '.join(f'{c:.2f}' for c in cpus)}),"
              f" peak RSS {max(rss):.1f} MB")
    print("first import report:")
    print("\n".join(output.splitlines()[:40]))


if __name__ == "__main__":
    main()
