"""Datasets and logs in object storage (insight.storage): a real S3 endpoint on loopback (moto's server
mode, HTTP), a real dataset from ../shared/realdata put in a bucket, and a real Dask LocalCluster of 2
worker processes. The reference is the same command on the same files on disk: insight.json must be
the same bytes once the URLs given are read as the local paths given (the report names what it was
given). Throttling is served for real by a small HTTP server that answers 503 or 429.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from insight import storage
from insight.cli import main
from insight.report.serialize import report_id
from tests.realdata import realdata

FIRE8 = "yolo/roboflow_fire8_subset/fire-8"  # 20 real frames; 4 held-out frames are near copies of train ones
FIRE8_RUN = "logs_ultralytics/yolov12_pr167_small_data_fractions/n_10.csv"
BUCKET = "insight-test"
SECRET = "fake-secret-key-that-must-never-be-printed"
NEEDS = "the s3 extra (s3fs) and moto's server are not installed: pip install 'insight-cv[s3]' moto[s3] flask flask-cors"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A moto S3 server on 127.0.0.1, the AWS variables pointing at it (as a user's environment would),
    a bucket holding the fire-8 dataset and a training log."""
    pytest.importorskip("s3fs", reason=NEEDS)
    server_module = pytest.importorskip("moto.server", reason=NEEDS)
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1",
           "INSIGHT_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
           "SOURCE_DATE_EPOCH": "1795350000"}  # insight.json's generated_at, the same in runs seconds apart
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    try:
        fs.mkdir(BUCKET)
        fs.put(str(realdata(FIRE8)), f"{BUCKET}/fire-8", recursive=True)
        fs.put(str(realdata(FIRE8_RUN)), f"{BUCKET}/runs/n_10.csv")
        yield fs
    finally:
        server.stop()
        s3fs.S3FileSystem.clear_instance_cache()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def cluster(s3):
    """Started after the AWS variables are set: its worker processes read the store as this one does."""
    distributed = pytest.importorskip("distributed", reason="the dask extra (distributed) is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as local:
        yield local


def _as_local(text: str, pairs: dict[str, Path]) -> str:
    for url, path in pairs.items():
        text = text.replace(url, str(path))
    return text


def test_report_from_s3_on_a_cluster_is_the_local_report(s3, cluster, tmp_path, capsys):
    dataset, run = realdata(FIRE8), realdata(FIRE8_RUN)
    assert main(["report", str(dataset), "--run", str(run), "--out", str(tmp_path / "local"), "--quiet"]) == 0
    url, run_url = f"s3://{BUCKET}/fire-8", f"s3://{BUCKET}/runs/n_10.csv"
    before = {name: p.state_counts.get("memory", 0) for name, p in cluster.scheduler.task_prefixes.items()}
    assert main(["report", url, "--run", run_url, "--out", str(tmp_path / "s3"), "--quiet",
                 "--scheduler", cluster.scheduler_address]) == 0
    assert capsys.readouterr().err == ""
    ran = {name for name, p in cluster.scheduler.task_prefixes.items()
           if p.state_counts.get("memory", 0) > before.get(name, 0)}
    assert {"hash_file", "read_chunk", "nearest_in_block"} <= ran
    local = (tmp_path / "local" / "insight.json").read_text()
    remote = (tmp_path / "s3" / "insight.json").read_text()
    assert f'"path": "{url}"' in remote and '"leakage_near"' in local  # named by its URL; near copies found
    named_locally = _as_local(remote, {run_url: run, url: dataset})
    # report_id hashes the document, paths included: the one it gets when it names the local paths
    doc = json.loads(named_locally)
    named_locally = named_locally.replace(doc["report_id"], report_id(doc))
    assert named_locally.encode() == local.encode()
    html = (tmp_path / "s3" / "report.html").read_text()
    assert "data:image/jpeg;base64," in html  # the leak pairs' thumbnails, read from the store
    for name in ("insight.json", "report.html"):
        assert SECRET not in (tmp_path / "s3" / name).read_text()


def test_the_mirror_holds_label_files_whole_and_no_image_bytes(s3, tmp_path, capsys):
    assert main(["scan", f"s3://{BUCKET}/fire-8", "--quiet"]) == 0
    mirror = Path(os.environ["INSIGHT_CACHE_DIR"]) / "mirrors" / "s3" / BUCKET / "fire-8"
    dataset = realdata(FIRE8)
    for original in dataset.rglob("*"):
        if original.is_file():
            copy = mirror / original.relative_to(dataset)
            assert copy.read_bytes() == (b"" if original.suffix == ".jpg" else original.read_bytes())
    stamps = {p: p.stat().st_mtime_ns for p in mirror.rglob("*") if p.is_file()}
    assert main(["scan", f"s3://{BUCKET}/fire-8", "--quiet"]) == 0
    assert {p: p.stat().st_mtime_ns for p in mirror.rglob("*") if p.is_file()} == stamps  # nothing fetched again


def _images(folder: Path) -> dict[str, bytes]:
    """Files whose headers are read differently: a rotated JPEG whose EXIF block runs past the first
    4 KiB (and past 128 KiB), a PNG, a JPEG cut inside its header, text named .jpg, an empty file."""
    from io import BytesIO

    from PIL import Image

    def jpeg(size, exif_bytes):
        exif = Image.Exif()
        exif[274] = 6  # rotated 90 degrees: width and height swap
        exif[0x010E] = "x" * exif_bytes  # ImageDescription: a long EXIF block before the frame header
        buf = BytesIO()
        Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG", exif=exif.tobytes())
        return buf.getvalue()

    png = BytesIO()
    Image.new("L", (37, 11)).save(png, "PNG")
    files = {"exif_10k.jpg": jpeg((64, 48), 10_000), "exif_60k.jpg": jpeg((30, 20), 60_000),
             "plain.png": png.getvalue(), "cut.jpg": jpeg((64, 48), 10_000)[:6000],
             "text.jpg": b"not a picture at all\n" * 300, "empty.png": b""}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def test_image_headers_read_from_objects_are_the_files_sizes(s3, tmp_path):
    """read_sizes on the objects' URLs (ranged requests) against read_sizes on the same files on disk."""
    from insight.formats.shared.image_headers import read_sizes

    files = _images(tmp_path)
    for name, data in files.items():
        s3.pipe(f"{BUCKET}/headers/{name}", data)
    names = sorted(files) + ["missing.jpg"]
    for rotation in (True, False):
        local = read_sizes([str(tmp_path / n) for n in names], exif_rotation=rotation)
        remote = read_sizes([f"s3://{BUCKET}/headers/{n}" for n in names], exif_rotation=rotation)
        assert remote.width.tolist() == pytest.approx(local.width.tolist(), nan_ok=True)
        assert remote.height.tolist() == pytest.approx(local.height.tolist(), nan_ok=True)
        assert [why for _, why in remote.failed] == [why for _, why in local.failed]
    assert (local.width[names.index("exif_10k.jpg")], local.height[names.index("exif_10k.jpg")]) == (64, 48)
    assert len(local.failed) == 4  # cut, empty, missing, text: each with its reason, read alike


def test_a_changed_or_removed_object_changes_the_mirror(s3, tmp_path, capsys):
    s3.put(str(realdata(FIRE8) / "data.yaml"), f"{BUCKET}/moving/data.yaml")
    s3.pipe(f"{BUCKET}/moving-neighbour/other.txt", b"not part of s3://.../moving")
    s3.pipe(f"{BUCKET}/moving/notes.txt", b"first")
    s3.pipe(f"{BUCKET}/moving/old.txt", b"gone soon")
    remote = storage.mirror_dataset(f"s3://{BUCKET}/moving")
    s3.pipe(f"{BUCKET}/moving/notes.txt", b"second, longer")
    s3.rm(f"{BUCKET}/moving/old.txt")
    again = storage.mirror_dataset(f"s3://{BUCKET}/moving")
    assert again.local == remote.local
    assert (Path(again.local) / "notes.txt").read_bytes() == b"second, longer"
    assert not (Path(again.local) / "old.txt").exists()
    assert sorted(p.name for p in Path(again.local).rglob("*")) == ["data.yaml", "notes.txt"]


def test_a_missing_dataset_is_one_line_and_prints_no_secret(s3, tmp_path):
    result = subprocess.run([sys.executable, "-m", "insight", "scan", f"s3://{BUCKET}/no-such-dataset"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert result.returncode == 2
    assert result.stderr == f"insight: error: s3://{BUCKET}/no-such-dataset: no such dataset folder (no object under it)\n"
    assert SECRET not in result.stdout + result.stderr


class _Throttling(http.server.BaseHTTPRequestHandler):
    """Answers `refusals` requests with `status`, then serves `body`."""

    refusals, status, body, seen = 0, 503, b"", 0

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).seen += 1
        if type(self).seen <= type(self).refusals:
            self.send_response(type(self).status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def throttling(monkeypatch):
    pytest.importorskip("aiohttp", reason="fsspec's HTTP store needs aiohttp (installed with the s3 extra)")
    monkeypatch.setattr(storage, "BACKOFF_S", 0.01)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("status", [503, 429])
def test_a_throttled_request_is_asked_again(throttling, monkeypatch, status):
    monkeypatch.setattr(_Throttling, "refusals", 3)
    monkeypatch.setattr(_Throttling, "status", status)
    monkeypatch.setattr(_Throttling, "seen", 0)
    monkeypatch.setattr(_Throttling, "body", b"the picture's bytes")
    assert storage.read_whole(f"{throttling}/a.jpg") == b"the picture's bytes"


@pytest.mark.parametrize("status, word", [(503, "slow down"), (429, "too many requests")])
def test_throttling_past_the_retries_is_one_line_naming_the_object(throttling, monkeypatch, status, word):
    monkeypatch.setattr(_Throttling, "refusals", 10 ** 6)
    monkeypatch.setattr(_Throttling, "status", status)
    monkeypatch.setattr(_Throttling, "seen", 0)
    with pytest.raises(storage.StorageError) as raised:
        storage.read_whole(f"{throttling}/b.jpg")
    waited = sum(0.01 * 2 ** i for i in range(storage.RETRIES))
    assert str(raised.value) == (f"{throttling}/b.jpg: the store kept answering HTTP {status} ({word}) to "
                                 f"{storage.RETRIES + 1} requests over {waited:g} s; try again later")


def test_a_store_without_its_extra_names_the_extra(capsys):
    pytest.importorskip("fsspec")
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("gcsfs is installed here: the hint cannot show")
    assert main(["scan", "gs://some-bucket/dataset"]) == 2
    assert capsys.readouterr().err == ("insight: error: reading a dataset or log in gs:// storage needs an optional "
                                       "package: pip install 'insight-cv[gcs]'\n")


def test_a_url_is_shown_without_its_credentials():
    assert storage.shown("s3://AKIA:secret@bucket/ds") == "s3://bucket/ds"
    assert storage.shown("gs://bucket/ds") == "gs://bucket/ds"
    assert storage.is_url("s3://b/x") and storage.is_url("gs://b") and not storage.is_url("data/s3:x")
    assert not storage.is_url("file:///data/pets")


def test_a_file_url_names_its_local_path():
    """Worked by hand: %20 is a space, %23 a '#', %FF the byte 0xFF (a name that is no UTF-8, kept as
    the file system decodes it, surrogateescape)."""
    assert storage.file_url_path("file:///data/my%20pets%231") == "/data/my pets#1"
    assert storage.file_url_path("file://localhost/data/pets") == "/data/pets"
    assert storage.file_url_path("file:///data/%FF") == os.fsdecode(b"/data/\xff")
    assert storage.file_url_path("data/pets") is None and storage.file_url_path("s3://b/x") is None
    with pytest.raises(ValueError, match="on host 'nas'"):
        storage.file_url_path("file://nas/data/pets")
