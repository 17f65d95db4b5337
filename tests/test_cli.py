"""The `evidence` command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from pipeline.model import ExtractionResult

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return subprocess.run(
        [sys.executable, "-m", "evidence", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
        check=False,
    )


def write_pdf(path: Path, text: str) -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 100), text, fontname="china-s", fontsize=14)
    doc.save(path)
    return path


def test_extract_json_lines_over_good_and_bad_files(tmp_path: Path) -> None:
    good = write_pdf(
        tmp_path / "good.pdf", "营业执照 统一社会信用代码 91350100M000100Y43 名称 福州闽信科技有限公司"
    )
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    text = tmp_path / "notes.pdf"
    text.write_text("just text with a pdf name", encoding="utf-8")
    missing = tmp_path / "missing.pdf"
    proc = run_cli("extract", "--json", str(empty), str(good), str(text), str(missing))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 4
    results = [ExtractionResult.model_validate(json.loads(line)) for line in lines]
    by_name = {r.document.name: r for r in results}
    assert [e.code for e in by_name["empty.pdf"].errors] == ["empty_file"]
    assert [e.code for e in by_name["notes.pdf"].errors] == ["unsupported_format"]
    assert [e.code for e in by_name["missing.pdf"].errors] == ["unreadable_file"]
    assert by_name["good.pdf"].status == "success"
    assert by_name["good.pdf"].pages[0].text_source == "text_layer"
    for line in lines:
        assert json.loads(line)["schema"] == "evidence.extraction/1"


def test_extract_table_and_unknown_engine(tmp_path: Path) -> None:
    good = write_pdf(tmp_path / "承诺书.pdf", "申报承诺书 本单位承诺")
    proc = run_cli("extract", str(good))
    assert proc.returncode == 0, proc.stderr
    assert "承诺书.pdf" in proc.stdout and "text_layer" in proc.stdout
    bad = run_cli("extract", "--engine", "nosuch", str(good))
    assert bad.returncode == 2
    assert "nosuch" in bad.stderr


@pytest.mark.slow
def test_extract_every_real_pdf_gives_a_result(real_samples: Path) -> None:
    pdfs = sorted((real_samples / "pdfs").glob("*.pdf"))
    assert len(pdfs) >= 10
    proc = run_cli("extract", "--json", *map(str, pdfs))
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = [ExtractionResult.model_validate(json.loads(x)) for x in proc.stdout.splitlines()]
    assert [r.document.name for r in results] == [p.name for p in pdfs]
    by_name = {r.document.name: r for r in results}
    assert [e.code for e in by_name["pdfplumber__empty.pdf"].errors] == ["empty_file"]
    for r in results:
        if r.status != "failure":
            assert r.pages, r.document.name
            assert all(p.text_source in ("text_layer", "ocr") for p in r.pages)
    # a scan without text layer is OCRed, and says why
    scan = by_name["pdfplumber__issue-203-decimalize.pdf"]
    assert [p.text_source for p in scan.pages] == ["ocr", "ocr", "ocr"]
    assert all(p.reason for p in scan.pages)
    # a long born-digital report is read from its text layer, fast
    report = by_name["pdfplumber__issue-67-example.pdf"]
    assert {p.text_source for p in report.pages} == {"text_layer"}
