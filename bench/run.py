"""`make bench`: time insight against the floors, in turn with them, and write the results.

    python bench/run.py --scale 1.0      # COCO-2017 scale (the first run generates ~4 GB under .bench-data/)
    python bench/run.py --scale 0.01     # smoke test, a couple of minutes

Every command runs as its own process. Commands that are compared run in turn, in blocks: the floor,
then the commands measured against it (A B A B ...), once untimed (--warmup) and then --runs rounds; a
ratio is taken within each round and the table shows the median of those ratios with their min and
max, for wall time and for CPU time. Memory is the peak summed PSS of each command's process tree
(bench/measure.py). The machine's 1-minute load average is recorded at every run. Prints one table and
the targets (pass/fail; the exit code is 0 either way, 1 only when a command did not run), and writes
bench/results.md (full scale) or bench/results-scale-<S>.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
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
import measure  # noqa: E402
import results  # noqa: E402
import targets  # noqa: E402

PY = sys.executable


@dataclass
class Row:
    key: str
    group: str
    label: str
    cmd: list[str]
    floor: str | None = None  # key of the row this one is compared with (in the same block)
    samples: list = field(default_factory=list)  # measure.Sample per timed run
    error: str | None = None
    extra: dict = field(default_factory=dict)
    cluster: bool = False  # runs with --scheduler on the benchmark's LocalCluster (SCHEDULER in cmd)

    def median(self, attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.samples if getattr(s, attr) is not None]
        return statistics.median(values) if values else None

    def peak(self, attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.samples if getattr(s, attr) is not None]
        return max(values) if values else None

    @property
    def stdout(self) -> str:
        return self.samples[-1].stdout if self.samples else ""


@dataclass
class Block:
    """Rows run in turn, round after round: the pair ratios are taken within a round."""
    rows: list[Row]
    runs: int | None = None  # None: --runs
    warmup: bool = True


SCHEDULER = "{scheduler}"  # in a row's command: the address of the LocalCluster started for it


def local_workers() -> int:
    """The local pool's size (insight.pool.available_cpus): the cluster gets as many worker processes."""
    from insight.pool import available_cpus

    return available_cpus()


@contextmanager
def local_cluster(rows: list, log):
    """A Dask LocalCluster of local_workers() processes (one thread each) for the rows that run on one
    (issue 16), started before them and not timed; their commands get its address."""
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


def insight(*args: str) -> list[str]:
    return [PY, "-m", "insight", *args]


def floor(name: str, root: Path) -> list[str]:
    return [PY, str(BENCH / "floors.py"), name, str(root)]


def plan(roots: dict[str, Path], out: Path) -> list[Block]:
    """Every block of the benchmark, in order. roots: data root per scale factor key ('1', '0.1', '0.3')."""
    d, cores = roots["1"], os.cpu_count() or 1
    scan = ("scan", "--json", "--quiet")
    workers = local_workers()
    duplicates = ("scan", "--duplicates", "--json", "--quiet", "--workers", str(workers), str(d / "photos"))
    return [
        Block([Row("coco_floor", "COCO", "floor: msgspec typed decode + numpy stats", floor("coco-msgspec", d / "coco")),
               Row("coco_scan", "COCO", "insight scan --json", insight(*scan, str(d / "coco")), "coco_floor"),
               Row("report", "Report", "insight report (HTML + PDF), COCO",
                   insight("report", str(d / "coco"), "--out", str(out / "report"), "--quiet"), "coco_scan")]),
        Block([Row("coco_orjson", "COCO", "orjson.loads + numpy stats", floor("coco-orjson", d / "coco"), "coco_floor"),
               Row("coco_json", "COCO", "json.load + numpy stats", floor("coco-json", d / "coco"), "coco_floor"),
               Row("coco_pycoco", "COCO", "usual script: pycocotools COCO() + pandas", floor("pycocotools", d / "coco"),
                   "coco_floor")], runs=1, warmup=False),
        Block([Row("yolo_floor", "YOLO", "floor: raw read of every label file", floor("yolo-read", d / "yolo")),
               Row("yolo_scan", "YOLO", "insight scan --json", insight(*scan, str(d / "yolo")), "yolo_floor")]),
        Block([Row("voc_floor", "Pascal VOC", "floor: ElementTree (C) parse of every XML file", floor("voc-parse", d / "voc")),
               Row("voc_scan", "Pascal VOC", "insight scan --json", insight(*scan, str(d / "voc")), "voc_floor"),
               Row("voc_read", "Pascal VOC", "reference: raw read of every XML file", floor("voc-read", d / "voc"),
                   "voc_floor")]),
        Block([Row("masks_floor", "Masks", f"floor: Pillow decode + bincount, pool of {cores}",
                   floor("masks-pool", d / "masks")),
               Row("masks_scan", "Masks", "insight scan --json", insight(*scan, str(d / "masks")), "masks_floor"),
               Row("masks_scan_small", "Masks", "insight scan --json, 0.1x the masks",
                   insight(*scan, str(roots["0.1"] / "masks")), "masks_floor")]),
        Block([Row("photos_floor", "Duplicates", f"floor: read + sha256 + draft-decode pHash, pool of {cores}, "
                   "then matching", floor("photos-pool", d / "photos")),
               Row("photos_dup", "Duplicates", "insight scan --duplicates --json", insight(*scan, "--duplicates",
                   str(d / "photos")), "photos_floor"),
               Row("photos_scan", "Duplicates", "insight scan --json (no duplicate check)",
                   insight(*scan, str(d / "photos")), "photos_floor")]),
        Block([Row("photos_stages", "Duplicates", "the check's stages, in one process (bench/stages.py)",
                   [PY, str(BENCH / "stages.py"), str(d / "photos")])], runs=1, warmup=False),
        Block([Row("scale_0.1", "Scaling", "insight scan --json, COCO at 0.1x", insight(*scan, str(roots["0.1"] / "coco"))),
               Row("scale_0.3", "Scaling", "insight scan --json, COCO at 0.3x", insight(*scan, str(roots["0.3"] / "coco")))]),
        Block([Row("help", "Start-up", "insight --help", insight("--help"))]),
        Block([Row("dup_local", "Duplicates", f"insight scan --duplicates --json, local pool of {workers}",
                   insight(*duplicates)),
               Row("dup_cluster", "Duplicates", f"the same on a Dask LocalCluster of {workers} worker processes",
                   insight(*duplicates, "--scheduler", SCHEDULER), "dup_local", cluster=True)]),
    ]


# ---------------------------------------------------------------- measuring

def run_block(block: Block, runs: int, warmup: int, workdir: Path, log) -> None:
    rows = block.rows
    for _ in range(warmup if block.warmup else 0):
        for row in rows:
            measure.run(row.cmd, workdir)
    for i in range(block.runs or runs):
        for row in rows:
            if row.error:
                continue
            s = measure.run(row.cmd, workdir)
            if s.code != 0:
                row.error = _reason(s.stderr, s.code)
                log(f"    {row.key}: n/a ({row.error})")
                continue
            row.samples.append(s)
            log(f"    {row.key} run {i + 1}: {s.wall:.2f} s wall, {s.cpu:.2f} s CPU, {s.mem_mb or 0:.0f} MB, "
                f"load {s.load:.1f}")


def pair_ratios(row: Row, ref: Row, attr: str) -> list[float]:
    """row / ref within each round (the samples of a block's rows are taken in the same rounds)."""
    return [getattr(a, attr) / getattr(b, attr) for a, b in zip(row.samples, ref.samples)
            if getattr(a, attr) and getattr(b, attr)]


def _reason(stderr: str, code: int) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    text = lines[-1] if lines else f"exit code {code}"
    for prefix in ("insight: error: ", "insight: "):
        text = text.removeprefix(prefix)
    text = text.split(" (please report it")[0]
    if code == -9:
        text = f"timed out after {measure.TIMEOUT} s"
    return text if len(text) <= 110 else text[:107] + "..."


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="1.0 is COCO 2017 train + val (default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs", type=int, default=5, help="timed rounds per block; medians are shown (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds of each block first (default 1)")
    p.add_argument("--data", type=Path, default=generate.DEFAULT_BASE, help="where data is generated")
    p.add_argument("--only", default="", help="comma-separated row keys or groups to run (default: all)")
    p.add_argument("--cold", action="store_true", help="do not read the data once before timing")
    p.add_argument("--out", type=Path, default=None, help="results file (default bench/results.md at scale 1)")
    args = p.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.perf_counter()
    roots = prepare(args.scale, args.seed, args.data, log)
    compile_insight(log)
    if not args.cold:
        warm(roots, log)
    with tempfile.TemporaryDirectory(prefix="insight-bench-") as tmp:
        blocks = select(plan(roots, Path(tmp)), args.only)
        for block in blocks:  # a cluster lives only through its own block: idle, its scheduler and
            log("  " + " | ".join(f"{r.group}: {r.label}" for r in block.rows))  # nannies took ~40 % of a core
            with local_cluster(block.rows, log):
                run_block(block, args.runs, args.warmup, Path(tmp), log)
        rows = {r.key: r for b in blocks for r in b.rows}
        finish(rows, Path(tmp), roots["1"])
    checks = targets.evaluate(rows)
    text = results.text(list(rows.values()), checks, args, roots, time.perf_counter() - t0)
    print(text)
    out = args.out or BENCH / ("results.md" if args.scale == 1.0 else f"results-scale-{args.scale:g}.md")
    out.write_text(text)
    log(f"wrote {out}")
    if args.scale == 1.0 and args.out is None and not args.only:  # a full run: its figures go in the READMEs
        short = results.summary(list(rows.values()), checks, args, time.perf_counter() - t0)
        for path in results.publish([BENCH / "README.md", BENCH.parent / "README.md"], short):
            log(f"wrote the summary into {path}")
    failed = [r.key for r in rows.values() if r.error]
    if failed:  # a target missed is a figure; a command that does not run is a broken benchmark
        log(f"commands that did not run: {', '.join(failed)}")
        return 1
    return 0


def finish(rows: dict[str, Row], tmp: Path, root: Path) -> None:
    """What some targets need besides times: the PDF's size, the imports of --help and scan, the copies."""
    if "report" in rows and not rows["report"].error:
        pdf = tmp / "report" / "report.pdf"
        rows["report"].extra["pdf_mb"] = pdf.stat().st_size / 1e6 if pdf.exists() else None
    if "help" in rows and not rows["help"].error:
        rows["help"].extra["heavy_modules"] = imported(["--help"], targets.HEAVY_FOR_HELP)
        rows["help"].extra["scan_modules"] = imported(["scan", "--json", "--quiet", str(root / "coco")],
                                                      targets.UNUSED_BY_SCAN)
    if "photos_dup" in rows and not rows["photos_dup"].error:
        rows["photos_dup"].extra["planted"] = planted(root / "photos")


IMPORT_CHECK = """
import contextlib, io, json, sys
from insight.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[2:])
    except SystemExit:
        pass
wanted = json.loads(sys.argv[1])
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(wanted))))
"""


def imported(args: list[str], modules: tuple[str, ...]) -> list[str] | None:
    """Which of `modules` the command imports (None when it cannot be checked)."""
    try:
        out = subprocess.run([PY, "-c", IMPORT_CHECK, json.dumps(modules), *args], capture_output=True, text=True,
                             timeout=600)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def planted(photos: Path) -> dict | None:
    try:
        return json.loads((photos / ".done.json").read_text())["summary"]["planted"]
    except (OSError, ValueError, KeyError):
        return None


def prepare(scale: float, seed: int, base: Path, log) -> dict[str, Path]:
    log(f"data for scale {scale:g} (seed {seed}) under {base}")
    roots = {"1": generate.generate(scale, seed, base, log=log)}
    roots["0.1"] = generate.generate(round(scale * 0.1, 6), seed, base, ("coco", "masks"), log=log)
    roots["0.3"] = generate.generate(round(scale * 0.3, 6), seed, base, ("coco",), log=log)
    return roots


def compile_insight(log) -> None:
    """Byte-compile insight's modules, as pip does when it installs a package: with
    PYTHONDONTWRITEBYTECODE=1 (set in some shells and CI images) and an editable install, every run
    would otherwise compile ~70 modules from source (0.2-0.4 s of each insight row, none of a floor's)."""
    import compileall
    import insight

    folder = Path(insight.__file__).parent
    ok = compileall.compile_dir(str(folder), quiet=1)
    log(f"insight's modules byte-compiled under {folder}" + ("" if ok else " (some failed)"))


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


def select(blocks: list[Block], only: str) -> list[Block]:
    wanted = {w.strip().lower() for w in only.split(",") if w.strip()}
    if not wanted:
        return blocks
    keep = lambda r: {r.key.lower(), r.key.split("_")[0].lower(), r.group.lower()} & wanted  # noqa: E731
    out = []
    for b in blocks:
        rows = [r for r in b.rows if keep(r)]
        floors = {r.floor for r in rows if r.floor} - {r.key for r in rows}
        rows = [r for r in b.rows if r in rows or r.key in floors]  # a compared row brings its floor
        if rows:
            out.append(Block(rows, b.runs, b.warmup))
    return out


if __name__ == "__main__":
    sys.exit(main())
