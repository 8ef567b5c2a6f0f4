"""Every per-image stage of the dataset readers goes through insight.pool's seam: run on an executor
(`Config.executor`, what --scheduler opens), or in a local process pool, each reader gives the same
tables as it does in-process.

The executor here is a process pool whose workers work in another folder ("/") than this process, as a
cluster's workers do: a relative path sent to them would not be found. It records the name of each
task's function, so the test sees which stages ran there. The reference is the same reader run
in-process (Config(workers=1)); the comparison is on insight.json's dataset part.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

import insight.formats.masks.scan as mask_scan
import insight.formats.shared.image_headers as image_headers
import insight.formats.shared.instance_masks as instance_masks
from insight.analysis import build_insight
from insight.config import Config
from insight.formats import load_dataset
from insight.report.serialize import DATASET_KEYS, to_json
from tests.realdata import REALDATA, realdata


class RecordingExecutor(ProcessPoolExecutor):
    """Workers in "/", the names of the functions its tasks run kept in `ran`."""

    def __init__(self):
        super().__init__(max_workers=2, mp_context=multiprocessing.get_context("spawn"), initializer=os.chdir,
                         initargs=("/",))
        self.ran: set[str] = set()

    def submit(self, fn, /, *args, **kwargs):
        self.ran.add(getattr(fn, "__name__", "?"))
        return super().submit(fn, *args, **kwargs)


@pytest.fixture(scope="module")
def executor():
    with RecordingExecutor() as ex:
        yield ex


# (dataset under realdata, --task, the per-image stages that must run on the executor)
CASES = [
    ("coco/roboflow_medical_waste_elbhnasy", "segmentation", {"measure_image"}),
    ("coco/labelme_instance_segmentation", "segmentation", {"measure_image"}),
    ("public_datasets/semseg_roboflow_png_masks", None, {"_scan_path", "_chunk_sizes"}),
    ("public_datasets/yolo_coco8_seg", None, {"read_chunk"}),
    ("classification_folder/weather_mwd_5pcd3_subset/weather_dataset", None, {"_chunk_sizes"}),
    ("voc/labelme_bbox_detection", None, set()),
]


def _dataset_json(path: str, config: Config) -> str:
    return to_json(build_insight(load_dataset(path, config), None, config), DATASET_KEYS)


@pytest.mark.parametrize("sub, task, stages", CASES)
def test_each_reader_on_an_executor_gives_what_it_gives_in_process(sub, task, stages, executor, monkeypatch):
    realdata(sub)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795350000")  # the JSON's generated_at, the same in both runs
    monkeypatch.chdir(REALDATA)  # the dataset by a relative path: the executor's workers must get absolute ones
    local = _dataset_json(sub, Config(task=task, workers=1))
    executor.ran.clear()
    assert _dataset_json(sub, Config(task=task, executor=executor)) == local
    assert stages <= executor.ran


@pytest.mark.parametrize("sub, task", [(sub, task) for sub, task, _ in CASES[:5]])
def test_each_reader_in_a_local_pool_gives_what_it_gives_in_process(sub, task, monkeypatch):
    """The thresholds under which the work stays in-process lowered, so these small datasets go through
    a pool of 2 processes."""
    realdata(sub)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795350000")
    local = _dataset_json(str(REALDATA / sub), Config(task=task, workers=1))
    monkeypatch.setattr(image_headers, "_SEQUENTIAL_BELOW", 0)
    monkeypatch.setattr(image_headers, "_CHUNK", 3)
    monkeypatch.setattr(instance_masks, "POOL_MIN_IMAGES", 1)
    monkeypatch.setattr(mask_scan, "_SEQUENTIAL_BELOW", 1)
    assert _dataset_json(str(REALDATA / sub), Config(task=task, workers=2)) == local
