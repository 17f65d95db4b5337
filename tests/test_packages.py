"""The top-level packages are ours (``validators`` is also a PyPI name), and ``pipeline`` runs
without Prefect."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["pipeline", "extractors", "validators", "flows", "evidence"])
def test_package_is_ours(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == ROOT / name


def test_pipeline_never_imports_prefect_statically() -> None:
    offenders = []
    for path in (ROOT / "pipeline").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("prefect", "flows")]
    assert offenders == []


def test_extract_path_runs_without_loading_prefect() -> None:
    code = (
        "import sys, pymupdf\n"
        "from pipeline.runner import extract_bytes\n"
        "import pipeline.processing, pipeline.store\n"
        "d = pymupdf.open(); d.new_page().insert_text((72, 72), 'hello world, a text layer page of words')\n"
        "r = extract_bytes(d.tobytes(), 'a.pdf').result\n"
        "assert r.status == 'success', r.errors\n"
        "assert 'prefect' not in sys.modules, 'pipeline imported prefect'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
