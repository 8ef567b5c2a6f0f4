"""Past one machine: the per-image work on a Dask cluster (--scheduler, DASK_SCHEDULER_ADDRESS).

A real `distributed.LocalCluster` with 2 worker processes on loopback. The reference for every output
is the same command run on this machine's pool: insight.json must be byte-identical. Which stages ran
on the cluster is read from the scheduler's own task records (tasks are named after the function
they run, e.g. hash_file). Failures are made for real: a task that raises, a task that kills the
worker process running it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from insight import scheduler
from insight.cli import main
from insight.config import Config
from insight.pool import pooled_map
from tests.realdata import realdata

FIRE8 = "yolo/roboflow_fire8_subset/fire-8"  # 20 real frames; 4 held-out frames are near copies of train ones
FIRE8_RUN = "logs_ultralytics/yolov12_pr167_small_data_fractions/n_10.csv"
COCO8 = "public_datasets/yolo_coco8_detect"
NEEDS_DASK = "the dask extra (distributed) is not installed: pip install 'insight-cv[dask]'"


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason=NEEDS_DASK)
    import cloudpickle
    import dask

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers need not import tests/
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=":0") as local:
        yield local


def ran_on(cluster) -> dict[str, int]:
    """Tasks the scheduler has seen finish, by the name of the function they ran."""
    return {name: prefix.state_counts.get("memory", 0) for name, prefix in cluster.scheduler.task_prefixes.items()}


def _grew(before: dict, after: dict) -> set[str]:
    return {name for name, n in after.items() if n > before.get(name, 0)}


def test_report_on_the_cluster_is_byte_identical_to_a_local_run(cluster, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795350000")  # insight.json's generated_at, fixed for both runs
    dataset, run = str(realdata(FIRE8)), str(realdata(FIRE8_RUN))
    assert main(["report", dataset, "--run", run, "--out", str(tmp_path / "local"), "--quiet"]) == 0
    before = ran_on(cluster)
    assert main(["report", dataset, "--run", run, "--out", str(tmp_path / "dask"), "--quiet",
                 "--scheduler", cluster.scheduler_address]) == 0
    assert {"hash_file", "nearest_in_block"} <= _grew(before, ran_on(cluster))
    local = (tmp_path / "local" / "insight.json").read_bytes()
    assert (tmp_path / "dask" / "insight.json").read_bytes() == local
    assert b'"leakage_near"' in local  # the duplicate check ran and found the near copies
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("sub, task, stages", [
    ("coco/roboflow_medical_waste_elbhnasy", "segmentation", {"measure_image", "hash_file"}),
    ("public_datasets/semseg_roboflow_png_masks", None, {"scan_path", "chunk_sizes", "hash_file"}),
    ("public_datasets/yolo_coco8_seg", None, {"read_chunk", "hash_file"}),
    ("classification_folder/weather_mwd_5pcd3_subset/weather_dataset", None, {"chunk_sizes", "hash_file"}),
])
def test_every_per_image_stage_runs_on_the_cluster(sub, task, stages, cluster, capsys, monkeypatch):
    """COCO polygon and RLE measurement, mask decoding, YOLO label parsing and header reads: on the
    cluster's workers, the scan's JSON the same as on this machine. (Dask names a task by its
    function without a leading underscore: _chunk_sizes is chunk_sizes.)"""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795350000")  # the JSON's generated_at, the same in both runs
    args = ["scan", str(realdata(sub)), "--duplicates", "--json", "--quiet", *(["--task", task] if task else [])]
    assert main(args) == 0
    local = capsys.readouterr().out
    before = ran_on(cluster)
    assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
    assert capsys.readouterr().out == local
    assert stages <= _grew(before, ran_on(cluster))


def test_scan_with_the_address_in_the_environment(cluster, tmp_path):
    """A subprocess, as a nightly job runs it: DASK_SCHEDULER_ADDRESS alone sends the work to the
    cluster; stdout is the same JSON as a local scan; stderr stays empty (no Dask chatter, also at exit)."""
    dataset = str(realdata(COCO8))
    command = [sys.executable, "-m", "insight", "scan", dataset, "--duplicates", "--json", "--quiet"]
    local = subprocess.run(command, capture_output=True, env=_env(), timeout=300)
    before = ran_on(cluster)
    remote = subprocess.run(command, capture_output=True, env=_env(DASK_SCHEDULER_ADDRESS=cluster.scheduler_address),
                            timeout=300)
    assert "hash_file" in _grew(before, ran_on(cluster))
    assert (remote.returncode, remote.stderr) == (0, b"")
    assert remote.stdout == local.stdout and b'"duplicates_checked"' in local.stdout


def test_the_command_on_the_cluster_prints_one_line(cluster, tmp_path):
    result = subprocess.run([sys.executable, "-m", "insight", "report", str(realdata(COCO8)), "--out",
                             str(tmp_path / "out"), "--scheduler", cluster.scheduler_address],
                            capture_output=True, text=True, env=_env(), timeout=300)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [f"wrote {tmp_path}/out/report.pdf, {tmp_path}/out/report.html, "
                                          f"{tmp_path}/out/insight.json"]


def test_a_scheduler_that_cannot_be_reached_is_one_line(tmp_path):
    """Dask's connect timeout, lowered through Dask's own configuration variable, then one line."""
    pytest.importorskip("distributed", reason=NEEDS_DASK)
    result = subprocess.run([sys.executable, "-m", "insight", "scan", str(realdata(COCO8)), "--duplicates",
                             "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True, timeout=120,
                            env=_env(DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "insight: error: tcp://127.0.0.1:9: cannot reach the Dask scheduler: "
        "Timed out trying to connect to tcp://127.0.0.1:9 after 2 s"]


@pytest.mark.parametrize("address, cause", [
    ("localhost", "missing port number in address 'localhost'"),
    ("inproc://x", "inproc:// addresses name no host and port to reach"),
    ("foo://x:1", "unknown address scheme 'foo'"),
])
def test_an_address_dask_cannot_use_is_one_line_at_once(address, cause, capsys):
    pytest.importorskip("distributed", reason=NEEDS_DASK)
    assert main(["scan", str(realdata(COCO8)), "--duplicates", "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"insight: error: {address}: cannot reach the Dask scheduler: {cause}")
    assert err.count("\n") == 1


def test_without_the_extra_the_option_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(scheduler, "find_spec", lambda name: None)
    assert main(["scan", str(realdata(COCO8)), "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert capsys.readouterr().err == ("insight: error: reading a dataset on a Dask cluster (--scheduler) needs "
                                       "an optional package: pip install 'insight-cv[dask]'\n")


def test_without_a_scheduler_nothing_changes():
    with scheduler.on_cluster(Config(workers=3)) as config:
        assert config == Config(workers=3) and config.executor is None


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    # SOURCE_DATE_EPOCH: the JSON's generated_at is the same in runs seconds apart
    return {**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "SOURCE_DATE_EPOCH": "1795350000",
            **extra}


def square(x: int) -> int:
    return x * x


def _always_fails(x: int, tally: str) -> int:
    with open(tally, "a") as f:
        f.write("x")
    raise ValueError(f"cannot use item {x}")


def _dies_once(x: int, marker: str) -> int:
    """Kills the worker process running it the first time any task calls it; then works."""
    if x == 0 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return x * x


def _always_dies(x: int) -> int:
    os._exit(1)


def test_results_come_back_in_order_in_chunks(cluster):
    before = ran_on(cluster)
    executor = scheduler.ClusterExecutor(cluster.scheduler_address)
    try:
        assert executor.parallelism == 2
        assert list(pooled_map(square, list(range(1000)), executor=executor, cluster_chunksize=256)) == \
            [x * x for x in range(1000)]
    finally:
        executor.shutdown()
    assert ran_on(cluster)["square"] - before.get("square", 0) == 4  # 256 + 256 + 256 + 232 items


def test_a_task_that_raises_is_run_again_then_ends_in_one_line(cluster, tmp_path):
    tally = tmp_path / "tally"
    executor = scheduler.ClusterExecutor(cluster.scheduler_address)
    try:
        with pytest.raises(scheduler.ClusterError) as raised:
            list(pooled_map(_always_fails, [7], executor=executor, shared=str(tally)))
    finally:
        executor.shutdown()
    assert tally.read_text() == "x" * (1 + scheduler.RETRIES)
    assert str(raised.value) == (f"{cluster.scheduler_address}: the per-image stage _always_fails failed on the "
                                 "Dask cluster, also when run again: ValueError: cannot use item 7")


def test_a_worker_that_dies_has_its_task_run_again_elsewhere(cluster, tmp_path):
    executor = scheduler.ClusterExecutor(cluster.scheduler_address)
    try:
        out = list(pooled_map(_dies_once, list(range(6)), executor=executor, cluster_chunksize=2,
                              shared=str(tmp_path / "died")))
    finally:
        executor.shutdown()
    assert (tmp_path / "died").exists() and out == [x * x for x in range(6)]
    cluster.wait_for_workers(2, timeout=60)


def test_a_task_that_keeps_killing_workers_ends_in_one_line(cluster):
    executor = scheduler.ClusterExecutor(cluster.scheduler_address)
    try:
        with pytest.raises(scheduler.ClusterError) as raised:
            list(pooled_map(_always_dies, [1], executor=executor))
    finally:
        executor.shutdown()
    message = str(raised.value)
    assert message.startswith(f"{cluster.scheduler_address}: the per-image stage _always_dies failed on the "
                              "Dask cluster, also when run again: KilledWorker: ")
    assert "\n" not in message
    cluster.wait_for_workers(2, timeout=60)


def slow(x: int) -> int:
    time.sleep(0.2)
    return x


def test_a_scheduler_that_stops_midway_ends_in_one_line():
    """A cluster of its own (one in-process worker), closed from another thread while tasks wait."""
    distributed = pytest.importorskip("distributed", reason=NEEDS_DASK)
    own = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                                   dashboard_address=":0")
    executor = scheduler.ClusterExecutor(own.scheduler_address)
    stopper = threading.Timer(1.0, own.close)
    try:
        with pytest.raises(scheduler.ClusterError) as raised:
            stopper.start()
            list(pooled_map(slow, list(range(100)), executor=executor, cluster_chunksize=1))
    finally:
        stopper.join()
        executor.shutdown()
        own.close()
    assert str(raised.value) == (f"{own.scheduler_address}: the Dask cluster dropped the per-image stage slow "
                                 "before it finished (did its scheduler stop?)")
