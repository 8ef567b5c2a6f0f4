"""House rules 5 and 8, checked on the source: statistics and diagnosis are pure functions of tables
(no matplotlib, no Jinja, no file access); charts never import Jinja; templates never hold JavaScript."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "insight"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PURE = ("stats", "diagnose")
FORBIDDEN_IMPORTS = {"matplotlib", "jinja2", "weasyprint", "PIL", "msgspec", "yaml"}
FILE_CALLS = {"open", "read_csv", "read_json", "read_text", "read_bytes", "iterdir", "glob", "rglob",
              "scandir", "walk", "listdir"}


def _modules(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _calls(tree: ast.AST) -> set[str]:
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return called


@pytest.mark.parametrize("path", [p for sub in PURE for p in _modules(sub)], ids=lambda p: p.name)
def test_statistics_and_diagnosis_are_pure(path):
    tree = ast.parse(path.read_text())
    assert not (_imports(tree) & FORBIDDEN_IMPORTS), f"{path} imports {_imports(tree) & FORBIDDEN_IMPORTS}"
    assert not (_calls(tree) & FILE_CALLS), f"{path} touches files: {_calls(tree) & FILE_CALLS}"


@pytest.mark.parametrize("path", _modules("charts"), ids=lambda p: p.name)
def test_charts_do_not_render_html(path):
    assert "jinja2" not in _imports(ast.parse(path.read_text()))


def test_templates_hold_no_javascript():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text().lower()
        assert "<script" not in text and "javascript:" not in text, path


def test_every_finding_code_has_its_wording():
    """Each Finding("code", ...) written in the package has templates/findings/<code>.txt."""
    missing = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                code = node.args[0].value
                if not (TEMPLATES / "findings" / f"{code}.txt").exists():
                    missing.append(f"{path.name}: {code}")
    assert not missing, missing


def test_log_readers_do_not_import_dataset_formats():
    """The detection types live in insight/detection.py so that logs/ stands apart from formats/."""
    for path in _modules("logs"):
        modules = {n.module for n in ast.walk(ast.parse(path.read_text()))
                   if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(m == "insight.formats" or m.startswith("insight.formats.") for m in modules), path
