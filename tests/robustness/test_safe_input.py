"""The safe input primitives (insight/safe_input.py) on their own: what each refuses, and that ordinary
files read as before."""

from __future__ import annotations

import os
import socket

import pytest
import yaml

from insight.errors import DatasetError, InsightError
from insight.safe_input import head_bytes, inside, load_json, load_yaml, open_regular, read_bytes, read_text


def test_regular_files_read_as_they_are(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffnaïve\n".encode())
    assert read_text(path, 100) == "naïve\n"  # the byte-order mark dropped
    assert read_bytes(path, 100) == "\ufeffnaïve\n".encode()
    assert head_bytes(path, 3) == b"\xef\xbb\xbf"


@pytest.mark.parametrize("make, kind", [
    (lambda p: os.mkfifo(p), "a FIFO (named pipe)"),
    (lambda p: p.symlink_to("/dev/zero"), "a character device"),
    (lambda p: p.mkdir(), "a folder"),
])
def test_only_regular_files_are_opened(tmp_path, make, kind):
    path = tmp_path / "x"
    make(path)
    with pytest.raises(DatasetError) as err:
        read_text(path, 1 << 20, DatasetError)  # a FIFO with no writer: the open does not wait
    assert str(err.value) == f"{path}: is {kind}, not a regular file: not read"
    assert head_bytes(path, 10) == b""


def test_a_socket_is_not_opened(tmp_path):
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        with pytest.raises(InsightError) as err:
            open_regular(path, 10)
        assert str(err.value) == f"{path}: is a socket, not a regular file: not read"
    finally:
        server.close()



@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, (1 << 20) + 3, (5 << 20) + 7])
def test_every_byte_is_read_whatever_the_size(tmp_path, size):
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    assert read_bytes(tmp_path / "f", 8 << 20) == data


def test_short_reads_do_not_end_the_file(tmp_path, monkeypatch):
    """A network file system may return less than asked before the end: the reading goes on until a
    read returns nothing (os.read made to return at most 1000 bytes a call)."""
    import insight.safe_input as safe_input

    data = os.urandom(10_000)
    (tmp_path / "f").write_bytes(data)
    real_read = os.read
    monkeypatch.setattr(safe_input.os, "read", lambda fd, n: real_read(fd, min(n, 1000)))
    assert read_bytes(tmp_path / "f", 1 << 20) == data


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path, monkeypatch):
    """The size checked at the open (stat and fstat made to say 5 bytes) is not trusted for the reading:
    20 bytes are there, more than the cap of 10."""
    import insight.safe_input as safe_input

    (tmp_path / "f").write_bytes(b"x" * 20)

    def five_bytes(real):
        def shrunk(*args, **kwargs):
            info = real(*args, **kwargs)
            return os.stat_result((*info[:6], 5, *info[7:]))
        return shrunk

    monkeypatch.setattr(safe_input.os, "stat", five_bytes(os.stat))
    monkeypatch.setattr(safe_input.os, "fstat", five_bytes(os.fstat))
    with pytest.raises(InsightError, match="grew past 10 bytes while it was read"):
        read_bytes(tmp_path / "f", 10)


def test_size_cap(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 3000)
    assert len(read_bytes(path, 3000)) == 3000
    with pytest.raises(InsightError) as err:
        read_bytes(path, 2999)
    assert str(err.value) == (f"{path}: the file is 2.9 KiB, more than the 2.9 KiB insight reads from one such "
                              "file: not read (is it the right file?)")  # 3000 and 2999 bytes, both 2.9 KiB


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"caf\xe9")
    with pytest.raises(InsightError, match=r"not a text file \(undecodable byte at offset 3; expected UTF-8\)"):
        read_text(path, 100)


def test_yaml_with_ordinary_aliases_loads(tmp_path):
    text = "defaults: &d {lr: 0.01, epochs: 3}\ntrain: *d\nval: *d\nnames: [cat, dog]\n"
    assert load_yaml(text, tmp_path / "data.yaml") == {
        "defaults": {"lr": 0.01, "epochs": 3}, "train": {"lr": 0.01, "epochs": 3},
        "val": {"lr": 0.01, "epochs": 3}, "names": ["cat", "dog"]}


def test_yaml_alias_expansion_is_counted_not_built(tmp_path):
    node: object = "lol"
    for _ in range(6):  # 10 ** 6 strings once expanded, past the 100,000 allowed
        node = [node] * 10
    text = yaml.safe_dump(node)
    with pytest.raises(InsightError, match="YAML aliases expand this file to more than 100,000 values"):
        load_yaml(text, tmp_path / "x.yaml")
    node = "lol"
    for _ in range(4):  # 10 ** 4: allowed
        node = [node] * 10
    assert len(load_yaml(yaml.safe_dump(node), tmp_path / "x.yaml")) == 10


def test_yaml_errors_name_the_line(tmp_path):
    with pytest.raises(InsightError) as err:
        load_yaml("names: [cat, dog\ntrain: x\n", tmp_path / "data.yaml")
    # the flow list opened on line 1 is still open when line 2's "train:" comes
    assert str(err.value) == f"{tmp_path / 'data.yaml'}:2: not valid YAML (expected ',' or ']', but got ':')"


def test_json_depth(tmp_path):
    fifty = load_json("[" * 50 + "]" * 50, tmp_path / "a.json")
    for _ in range(49):
        fifty = fifty[0]
    assert fifty == []
    deep = "[" * 200_000 + "]" * 200_000
    with pytest.raises(InsightError, match="JSON nested too deeply to read"):
        load_json(deep, tmp_path / "a.json")
    assert load_json('{"loss": NaN, "step": Infinity}', tmp_path / "a.json")["step"] == float("inf")


def test_inside(tmp_path):
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "images" / "a.png").write_bytes(b"")
    (tmp_path / "secret.png").write_bytes(b"")
    (root / "images" / "link.png").symlink_to(tmp_path / "secret.png")
    (root / "images" / "inner.png").symlink_to(root / "images" / "a.png")
    assert inside(root, "images/a.png") == (root / "images" / "a.png").resolve()
    assert inside(root, "images/../images/a.png") == (root / "images" / "a.png").resolve()
    assert inside(root, "images/inner.png") == (root / "images" / "a.png").resolve()
    for leaving in ("../secret.png", "images/../../secret.png", str(tmp_path / "secret.png"), "/etc/hostname",
                    "images/link.png"):
        assert inside(root, leaving) is None, leaving
