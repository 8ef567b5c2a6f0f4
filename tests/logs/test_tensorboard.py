"""TensorBoard reader on event files written by tensorboard's own writer; expected values are the ones written
(simple values are float32, so the values used are exact binary fractions)."""

from __future__ import annotations

import builtins

import pytest

pytest.importorskip("tensorboard")

from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboard.plugins.scalar import metadata  # noqa: E402
from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

from insight.errors import LogError, MissingExtraError  # noqa: E402
from insight.logs import detect, load_run, tensorboard  # noqa: E402


def write_events(folder, scalars, tensor=False, suffix=""):
    """One event file in `folder` with {tag: [(step, value), ...]}, as simple values or v2 scalar tensors."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = EventFileWriter(str(folder), filename_suffix=suffix)
    for tag, points in scalars.items():
        for step, value in points:
            if tensor:
                item = summary_pb2.Summary.Value(tag=tag, tensor=tensor_util.make_tensor_proto(value),
                                                 metadata=metadata.create_summary_metadata(tag, ""))
            else:
                item = summary_pb2.Summary.Value(tag=tag, simple_value=value)
            writer.add_event(event_pb2.Event(summary=summary_pb2.Summary(value=[item]), step=step, wall_time=1.0))
    writer.close()
    return folder


def series(run, name, split):
    s = run.series(name, split)
    return list(zip(s["step"], s["value"]))


def test_tags_in_either_order_map_to_split_and_name(tmp_path):
    run_dir = write_events(tmp_path / "my run", {
        "train/loss": [(0, 1.0), (1, 0.5)], "Loss/val": [(0, 1.25), (1, 0.75)],
        "accuracy/train": [(0, 0.25)], "val/mAP50": [(1, 0.5)]})
    module, _ = detect(run_dir)
    assert module is tensorboard
    run = tensorboard.read(run_dir)
    assert series(run, "loss", "train") == [(0, 1.0), (1, 0.5)]
    assert series(run, "loss", "val") == [(0, 1.25), (1, 0.75)]
    assert series(run, "accuracy", "train") == [(0, 0.25)]
    assert series(run, "mAP50", "val") == [(1, 0.5)]
    assert run.format == "tensorboard"


def test_v2_tensor_scalars_are_read(tmp_path):
    run = tensorboard.read(write_events(tmp_path / "r", {"val_loss": [(2, 0.125)]}, tensor=True))
    assert series(run, "loss", "val") == [(2, 0.125)]


def test_keras_split_folders_and_epoch_tags(tmp_path):
    root = tmp_path / "logs" / "fit 2024"
    write_events(root / "train", {"epoch_loss": [(0, 2.0), (1, 1.5)], "epoch_accuracy": [(0, 0.5), (1, 0.625)]})
    write_events(root / "validation", {"epoch_loss": [(0, 2.5), (1, 2.25)]})
    assert tensorboard.candidates(tmp_path) == [root]
    run = load_run(tmp_path)  # the folder is searched; the split folders form one run
    assert series(run, "loss", "train") == [(0, 2.0), (1, 1.5)]
    assert series(run, "loss", "val") == [(0, 2.5), (1, 2.25)]
    assert list(run.series("loss", "val")["epoch"]) == [0.0, 1.0]  # epoch_* tags are per epoch


def test_add_scalars_subfolders_with_spaces(tmp_path):
    root = tmp_path / "tensor data"
    write_events(root, {"Result/Box_Regression_Loss": [(0, 0.125)]})
    write_events(root / "Learning Rate" / "lr0", {"Learning_Rate": [(0, 0.015625)]})
    write_events(root / "Learning Rate" / "lr2", {"Learning_Rate": [(0, 0.03125)]})
    write_events(root / "Loss_train", {"Loss": [(0, 0.875)]})  # torch add_scalars('Loss', {'train': ...})
    run = tensorboard.read(root)
    assert series(run, "box_loss", "train") == [(0, 0.125)]
    assert series(run, "lr_pg0", "train") == [(0, 0.015625)]
    assert series(run, "lr_pg2", "train") == [(0, 0.03125)]
    assert series(run, "loss", "train") == [(0, 0.875)]


def test_lightning_epoch_scalar_fills_epoch_and_files_merge(tmp_path):
    root = tmp_path / "version_1"
    write_events(root, {"train_loss": [(49, 0.625), (99, 0.25)], "epoch": [(49, 0.0), (99, 0.0), (149, 1.0)],
                        "val_loss": [(149, 0.0625)], "hp_metric": [(0, -1.0)]})
    write_events(root, {"test_loss": [(150, 0.03125)]}, suffix=".test")
    run = tensorboard.read(root)
    train = run.series("loss", "train")
    assert list(zip(train["step"], train["epoch"], train["value"])) == [(49, 0.0, 0.625), (99, 0.0, 0.25)]
    assert list(run.series("loss", "val")["epoch"]) == [1.0]
    assert set(run.names) == {"loss"}  # epoch and hp_metric are bookkeeping, test_loss left out
    assert any("test-set" in n for n in run.notes)


def test_the_same_step_in_two_files_keeps_the_newest(tmp_path):
    root = tmp_path / "r"
    write_events(root, {"train/loss": [(0, 1.0), (1, 0.875)]})
    write_events(root, {"train/loss": [(1, 0.75), (2, 0.625)]})
    run = tensorboard.read(root)
    assert series(run, "loss", "train") == [(0, 1.0), (1, 0.75), (2, 0.625)]
    assert any("logged twice" in n for n in run.notes)


def test_empty_event_file_is_refused_in_one_line(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    writer = EventFileWriter(str(root))
    writer.close()  # header only
    (file,) = root.iterdir()
    with pytest.raises(LogError) as err:
        tensorboard.read(file)
    assert str(err.value).startswith(f"{file}: holds no scalar values")
    assert "\n" not in str(err.value)


def test_folder_with_a_text_log_is_left_to_that_reader(tmp_path):
    root = write_events(tmp_path / "exp", {"train/box_loss": [(0, 0.1)]})
    (root / "results.csv").write_text("epoch,train/box_loss\n0,0.1\n")
    assert tensorboard.detect(root).confidence == 0


def test_without_the_extra_the_error_names_the_install_command(tmp_path, monkeypatch):
    file = next(write_events(tmp_path / "r", {"loss": [(0, 1.0)]}).iterdir())
    real_import = builtins.__import__

    def blocked(name, *args, **kwargs):
        if name.startswith("tensorboard"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)
    assert tensorboard.detect(file).confidence > 0  # detection needs no tensorboard
    with pytest.raises(MissingExtraError) as err:
        tensorboard.read(file)
    assert "pip install 'insight-cv[tensorboard]'" in str(err.value)


def test_a_restart_inside_one_file_replaces_the_orphaned_points(tmp_path):
    # steps 0-3, then the run restarts from step 2: old points at steps 2 and 3 are orphans
    root = write_events(tmp_path / "r", {"train/loss": [(0, 1.0), (1, 0.875), (2, 0.75), (3, 0.625),
                                                        (2, 0.5), (3, 0.375)]})
    run = tensorboard.read(root)
    assert series(run, "loss", "train") == [(0, 1.0), (1, 0.875), (2, 0.5), (3, 0.375)]
    assert any("2 point(s) left by a restart" in n for n in run.notes)


def test_the_other_tag_orders(tmp_path):
    run = tensorboard.read(write_events(tmp_path / "r", {"loss/train": [(0, 0.5)], "val/loss": [(0, 0.75)],
                                                         "Loss/Validation": [(1, 0.625)]}))
    assert series(run, "loss", "train") == [(0, 0.5)]
    assert series(run, "loss", "val") == [(0, 0.75), (1, 0.625)]


def test_a_file_cut_short_is_read_up_to_the_cut_with_a_note(tmp_path):
    root = write_events(tmp_path / "r", {"train/loss": [(step, 1.0 / (step + 1)) for step in range(40)]})
    (file,) = root.iterdir()
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])
    run = tensorboard.read(root)
    steps = run.series("loss", "train")["step"].tolist()
    assert 0 < len(steps) < 40 and steps == list(range(len(steps)))
    assert any("cut short" in n for n in run.notes)
    whole = write_events(tmp_path / "w", {"train/loss": [(0, 1.0)]})
    assert not tensorboard.read(whole).notes


def test_a_value_logged_again_at_the_same_step_keeps_the_first(tmp_path):
    # one process logs top-1 at epochs 1-3, then again at step 3 for the best weights (Ultralytics'
    # final validation): the curve keeps 0.5 at step 3, and a note says why
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(tmp_path))
    for i, (step, value) in enumerate([(1, 0.3), (2, 0.6), (3, 0.5), (3, 0.6)]):
        summary = Summary(value=[Summary.Value(tag="metrics/accuracy_top1", simple_value=value)])
        writer.add_event(Event(step=step, wall_time=1.0 + i, summary=summary))
    writer.close()
    run = load_run(tmp_path)
    assert run.series("accuracy", "val")["value"].tolist() == pytest.approx([0.3, 0.6, 0.5])
    assert any("1 value(s) logged again at the step just logged" in n for n in run.notes)
