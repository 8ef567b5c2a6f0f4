"""The wheel ships every sub-package: pyproject.toml lists each folder of insight/ that holds an
__init__.py (setuptools' explicit `packages` list does not find new ones by itself)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "insight").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert {p for p in listed if p.startswith("insight.formats")} == {p for p in found if p.startswith("insight.formats")}


def test_the_distribution_is_insight_cv_and_every_install_hint_names_it():
    """`insight` on the package index is an unrelated project: a hint naming it would install a
    stranger's code. Every `pip install` of an extra in the code and the README names insight-cv."""
    import re

    from insight import install_hint

    assert tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"] == "insight-cv"
    assert install_hint("dask") == "pip install 'insight-cv[dask]'"
    texts = {p: p.read_text() for p in [REPO / "README.md", *(REPO / "insight").rglob("*.py")]}
    hints = [(p.name, m) for p, text in texts.items() for m in re.findall(r"pip install '([^'\[]+)\[", text)]
    # '.': from a clone of the repository; {DISTRIBUTION}: install_hint itself
    assert hints and {name for _, name in hints} <= {"insight-cv", ".", "{DISTRIBUTION}"}, hints
    assert not [p for p, text in texts.items() if re.search(r"pip install \S*\binsight\b(?!-cv)", text)]
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 the insight authors\n")


def test_a_missing_extra_prints_the_install_command_of_this_distribution(tmp_path):
    """The command line, in a fresh interpreter where the tensorboard package cannot be imported: the
    one error line names the extra of insight-cv. (.ci/run checks the same in a venv where it was
    installed with `pip install .` and no extra.)"""
    import subprocess
    import sys

    from tests.logs.test_tensorboard import write_events

    log = write_events(tmp_path / "tb", {"loss": [(0, 1.0), (1, 0.5)]})
    probe = ("import sys; sys.modules['tensorboard'] = None\n"  # import tensorboard now raises ImportError
             "from insight.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", probe, "curves", str(log)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr == (f"insight: error: reading TensorBoard event files needs an optional package: "
                           "pip install 'insight-cv[tensorboard]'\n")


def test_the_wheel_ships_the_json_schema_and_the_templates(tmp_path):
    """`pip install .` from any folder must be able to print the schema and render: the wheel built
    from this tree holds insight/insight.schema.json (package data) and the templates. (.ci/run also
    installs the wheel into a fresh venv and runs `insight schema` and a report from another folder.)"""
    import json
    import subprocess
    import sys
    import zipfile

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                            "--wheel-dir", str(tmp_path), str(REPO)], capture_output=True, text=True, cwd=tmp_path)
    if built.returncode != 0 and "No matching distribution found for setuptools" in built.stderr:
        import pytest

        pytest.skip("the build backend (setuptools, in an isolated build) cannot be fetched here")
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(tmp_path.glob("insight_cv-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = json.loads(archive.read("insight/insight.schema.json"))
    assert shipped == json.loads((REPO / "insight" / "insight.schema.json").read_text())
    assert {"insight/templates/report.html", "insight/templates/sections/cover.html"} <= names
