"""`make bench`: time insight against the hardware floors and the usual user script, in one run.

    python bench/run.py --scale 1.0      # COCO-2017 scale (the first run generates ~1.5 GB under .bench-data/)
    python bench/run.py --scale 0.01     # smoke test, a couple of minutes

Every command runs as its own process, --runs times (median wall time, peak RSS of the process tree's
largest process from `/usr/bin/time -v`, or from os.wait4 when that is absent). Prints one table with
ratios against the floors, then the issue's targets (pass/fail; the exit code is 0 either way, 1 only
when a command did not run), and writes
bench/results.md (full scale) or bench/results-scale-<S>.md. See bench/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402
import machine  # noqa: E402
import targets  # noqa: E402

PY = sys.executable
TIME_BIN = shutil.which("time", path="/usr/bin:/bin")
TIMEOUT = 3600


@dataclass
class Row:
    key: str
    group: str
    label: str
    cmd: list[str]
    floor: str | None = None  # key of the row this one is compared with
    wall: float | None = None
    rss_mb: float | None = None
    walls: list[float] = field(default_factory=list)
    error: str | None = None
    stdout: str = ""
    extra: dict = field(default_factory=dict)
    cluster: bool = False  # runs with --scheduler on the benchmark's LocalCluster (SCHEDULER in cmd)


SCHEDULER = "{scheduler}"  # in a row's command: the address of the LocalCluster started for it


def insight(*args: str) -> list[str]:
    return [PY, "-m", "insight", *args]


def floor(name: str, root: Path) -> list[str]:
    return [PY, str(BENCH / "floors.py"), name, str(root)]


def plan(roots: dict[str, Path], scale: float, out: Path) -> list[Row]:
    """Every row of the table, in order. roots: data root per scale factor key ('1', '0.1', '0.3')."""
    d, cores = roots["1"], os.cpu_count() or 1
    scan = ("scan", "--json", "--quiet")
    workers = local_workers()
    duplicates = ("scan", "--duplicates", "--json", "--quiet", "--workers", str(workers), str(d / "yolo"))
    return [
        Row("coco_floor", "COCO", "floor: msgspec typed decode + numpy stats", floor("coco-msgspec", d / "coco")),
        Row("coco_orjson", "COCO", "orjson.loads + numpy stats", floor("coco-orjson", d / "coco"), "coco_floor"),
        Row("coco_json", "COCO", "json.load + numpy stats", floor("coco-json", d / "coco"), "coco_floor"),
        Row("coco_pycoco", "COCO", "usual script: pycocotools COCO() + pandas", floor("pycocotools", d / "coco"),
            "coco_floor"),
        Row("coco_scan", "COCO", "insight scan --json", insight(*scan, str(d / "coco")), "coco_floor"),
        Row("yolo_floor", "YOLO", "floor: raw read of every label file", floor("yolo-read", d / "yolo")),
        Row("yolo_scan", "YOLO", "insight scan --json", insight(*scan, str(d / "yolo")), "yolo_floor"),
        Row("voc_floor", "Pascal VOC", "reference: raw read of every XML file", floor("voc-read", d / "voc")),
        Row("voc_scan", "Pascal VOC", "insight scan --json", insight(*scan, str(d / "voc")), "voc_floor"),
        Row("masks_floor", "Masks", f"floor: Pillow decode + bincount, pool of {cores}",
            floor("masks-pool", d / "masks")),
        Row("masks_scan", "Masks", "insight scan --json", insight(*scan, str(d / "masks")), "masks_floor"),
        Row("masks_scan_small", "Masks", "insight scan --json, 0.1x the masks", insight(*scan, str(roots["0.1"] / "masks")),
            "masks_floor"),
        Row("report", "Report", "insight report (HTML + PDF), COCO",
            insight("report", str(d / "coco"), "--out", str(out / "report"), "--quiet"), "coco_floor"),
        Row("scale_0.1", "Scaling", "insight scan --json, COCO at 0.1x", insight(*scan, str(roots["0.1"] / "coco"))),
        Row("scale_0.3", "Scaling", "insight scan --json, COCO at 0.3x", insight(*scan, str(roots["0.3"] / "coco"))),
        Row("help", "Start-up", "insight --help", insight("--help")),
        Row("dup_local", "Duplicates", f"insight scan --duplicates --json, YOLO images, local pool of {workers}",
            insight(*duplicates)),
        Row("dup_cluster", "Duplicates", f"the same on a Dask LocalCluster of {workers} worker processes",
            insight(*duplicates, "--scheduler", SCHEDULER), "dup_local", cluster=True),
    ]


def local_workers() -> int:
    """The local pool's size (insight.pool.available_cpus): the cluster gets as many worker processes."""
    from insight.pool import available_cpus

    return available_cpus()


@contextmanager
def local_cluster(rows: list[Row], log):
    """A Dask LocalCluster of local_workers() processes (one thread each) for the rows that run on one,
    started before them and not timed; their commands get its address."""
    if not any(r.cluster for r in rows):
        yield
        return
    import distributed

    with distributed.LocalCluster(n_workers=local_workers(), threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0", silence_logs=50) as cluster:
        log(f"  LocalCluster at {cluster.scheduler_address} ({local_workers()} workers)")
        for row in rows:
            row.cmd = [cluster.scheduler_address if part == SCHEDULER else part for part in row.cmd]
        yield


# ---------------------------------------------------------------- measuring

def run_once(cmd: list[str], workdir: Path) -> tuple[float, float | None, int, str, str]:
    """One run: wall seconds, peak RSS in MB, exit code, stdout, stderr."""
    out_path, err_path, time_path = workdir / "stdout", workdir / "stderr", workdir / "time"
    full = [TIME_BIN, "-v", "-o", str(time_path), *cmd] if TIME_BIN else cmd
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        status, usage = _wait(proc, t0)
        wall = time.perf_counter() - t0
    rss_kb = _time_rss(time_path) if TIME_BIN else usage.ru_maxrss  # Linux: kilobytes
    code = os.waitstatus_to_exitcode(status) if status is not None else -9
    return (wall, rss_kb / 1024 if rss_kb else None, code,
            out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))


def _wait(proc: subprocess.Popen, t0: float):
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        if time.perf_counter() - t0 > TIMEOUT:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return None, usage
        time.sleep(0.005)


def _time_rss(path: Path) -> float | None:
    try:
        for line in path.read_text().splitlines():
            if "Maximum resident set size" in line:
                return float(line.rsplit(":", 1)[1])
    except OSError:
        pass
    return None


def measure(row: Row, runs: int, workdir: Path, log, warmup: int = 1) -> None:
    """`warmup` untimed runs first (the first run after another command pays for what that one left:
    page-cache and allocator state; seen as a 2x slower floor), then `runs` timed ones."""
    for _ in range(warmup):
        run_once(row.cmd, workdir)
    for i in range(runs):
        wall, rss, code, out, err = run_once(row.cmd, workdir)
        if code != 0:
            row.error = _reason(err, code)
            log(f"    {row.key}: n/a ({row.error})")
            return
        row.walls.append(wall)
        row.rss_mb = max(row.rss_mb or 0, rss or 0) or None
        row.stdout = out
        log(f"    {row.key} run {i + 1}/{runs}: {wall:.2f} s, {rss or 0:.0f} MB")
    row.wall = statistics.median(row.walls)


def _reason(stderr: str, code: int) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.startswith("Command exited")]
    text = lines[-1] if lines else f"exit code {code}"
    for prefix in ("insight: error: ", "insight: "):
        text = text.removeprefix(prefix)
    text = text.split(" (please report it")[0]
    if code == -9:
        text = f"timed out after {TIMEOUT} s"
    return text if len(text) <= 110 else text[:107] + "..."


# ---------------------------------------------------------------- the table

def counted(row: Row) -> str:
    """What the command counted (images / labels), from its JSON output, to show the rows agree."""
    lines = [ln for ln in row.stdout.splitlines() if ln.strip()]
    try:  # insight prints one JSON document; the floors print progress lines, then one JSON line
        doc = json.loads(row.stdout) if row.stdout.lstrip().startswith("{") else json.loads(lines[-1])
    except (ValueError, IndexError):
        return ""
    if "dataset" in doc:  # insight.json's dataset part
        splits = doc["dataset"].get("splits", {})
        return f"{_sum(splits, 'images'):,} img / {_sum(splits, 'labels'):,} labels"
    if "xml_files" in doc:
        return f"{doc['xml_files']:,} xml"
    first = next(iter(doc.values()), {})
    if "masks" in first:
        return f"{_sum(doc, 'masks'):,} masks"
    if "label_files" in first:
        return f"{_sum(doc, 'label_files'):,} files / {_sum(doc, 'boxes'):,} boxes"
    return f"{_sum(doc, 'images'):,} img / {_sum(doc, 'boxes'):,} boxes"


def _sum(splits: dict, key: str) -> int:
    return sum(int(v.get(key, 0)) for v in splits.values() if isinstance(v, dict))


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else ""


def table(rows: list[Row], runs: int) -> list[str]:
    by_key = {r.key: r for r in rows}
    lines = [f"| group | command | wall s (median of {runs}) | peak RSS MB | time vs floor | RSS vs floor | counted |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        f = by_key.get(r.floor) if r.floor else None
        if r.error:
            lines.append(f"| {r.group} | {r.label} | n/a: {r.error} | | | | |")
            continue
        lines.append(f"| {r.group} | {r.label} | {r.wall:.2f} | {r.rss_mb or 0:.0f} | "
                     f"{ratio(r.wall, f.wall) if f else ''} | {ratio(r.rss_mb, f.rss_mb) if f else ''} | {counted(r)} |")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="1.0 is COCO 2017 train + val (default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs", type=int, default=5, help="runs per command; the median is shown (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs of each command before its timed runs (default 1)")
    p.add_argument("--data", type=Path, default=generate.DEFAULT_BASE, help="where data is generated")
    p.add_argument("--only", default="", help="comma-separated row keys or groups to run (default: all)")
    p.add_argument("--cold", action="store_true", help="do not read the data once before timing")
    p.add_argument("--out", type=Path, default=None, help="results file (default bench/results.md at scale 1)")
    args = p.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    t0, load_start = time.perf_counter(), os.getloadavg()[0]
    load_peak = load_start
    roots = prepare(args.scale, args.seed, args.data, log)
    if not args.cold:
        warm(roots, log)
    with tempfile.TemporaryDirectory(prefix="insight-bench-") as tmp:
        rows = select(plan(roots, args.scale, Path(tmp)), args.only)
        with local_cluster(rows, log):
            for row in rows:
                log(f"  {row.group}: {row.label}")
                measure(row, args.runs, Path(tmp), log, args.warmup)
            load_peak = max(load_peak, os.getloadavg()[0])
            if row.key == "help" and not row.error:
                row.extra["heavy_modules"] = heavy_imports()
            if row.key == "report":
                pdf = Path(tmp) / "report" / "report.pdf"
                row.extra["pdf_mb"] = pdf.stat().st_size / 1e6 if pdf.exists() else None
        checks = targets.evaluate({r.key: r for r in rows})
    loads = (load_start, load_peak)
    text = results_text(rows, checks, args, roots, time.perf_counter() - t0, loads)
    print(text)
    out = args.out or BENCH / ("results.md" if args.scale == 1.0 else f"results-scale-{args.scale:g}.md")
    out.write_text(text)
    log(f"wrote {out}")
    failed = [r.key for r in rows if r.error]
    if failed:  # a target missed is a figure; a command that does not run is a broken benchmark
        log(f"commands that did not run: {', '.join(failed)}")
        return 1
    return 0


HEAVY_CHECK = """
import contextlib, io, json, sys
from insight.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(["--help"])
    except SystemExit:
        pass
print(json.dumps([m for m in ("weasyprint", "matplotlib") if m in sys.modules]))
"""


def heavy_imports() -> list[str] | None:
    """Which of weasyprint and matplotlib `insight --help` imports (None when it cannot be checked)."""
    try:
        out = subprocess.run([PY, "-c", HEAVY_CHECK], capture_output=True, text=True, timeout=120)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def prepare(scale: float, seed: int, base: Path, log) -> dict[str, Path]:
    log(f"data for scale {scale:g} (seed {seed}) under {base}")
    roots = {"1": generate.generate(scale, seed, base, log=log)}
    roots["0.1"] = generate.generate(round(scale * 0.1, 6), seed, base, ("coco", "masks"), log=log)
    roots["0.3"] = generate.generate(round(scale * 0.3, 6), seed, base, ("coco",), log=log)
    return roots


def warm(roots: dict[str, Path], log) -> None:
    """Read every data file once, so that no row pays for the first read from disk (page cache)."""
    t0, n = time.perf_counter(), 0
    for root in roots.values():
        for folder, _, files in os.walk(root):
            for name in files:
                with open(os.path.join(folder, name), "rb") as f:
                    while f.read(1 << 24):
                        pass
                n += 1
    log(f"page cache warmed: {n:,} files read in {time.perf_counter() - t0:.1f} s")


def select(rows: list[Row], only: str) -> list[Row]:
    wanted = {w.strip().lower() for w in only.split(",") if w.strip()}
    return [r for r in rows if not wanted or r.key.lower() in wanted or r.group.lower() in wanted]


def results_text(rows, checks, args, roots, elapsed: float, loads: tuple[float, float]) -> str:
    head = [f"# insight benchmark: scale {args.scale:g}", "",
            *machine.describe(TIME_BIN), f"- scale {args.scale:g}, seed {args.seed}, {args.runs} timed runs per command after {args.warmup} untimed; "
            f"whole benchmark took {elapsed / 60:.1f} min; "
            + ("page cache not warmed (--cold)" if args.cold else "every data file read once before timing"),
            f"- 1-minute load average {loads[0]:.1f} before the run, at most {loads[1]:.1f} between rows (the benchmark's "
            "own processes count too" + ("; well above the core count: other work shared the machine and times are "
                                         "inflated)" if loads[1] > 1.5 * (os.cpu_count() or 1) else ")"),
            *machine.data_summary(roots["1"]), ""]
    return "\n".join(head + table(rows, args.runs) + ["", "## Targets (issues 6 and 16)", ""] + targets.lines(checks)) + "\n"


if __name__ == "__main__":
    sys.exit(main())
