"""Extraction accuracy: per-field exact-match rates against ground truth.

Sets: ``sample_docs/submissions/*/truth.json`` (born-digital and scanned variants) and
``../shared/real-samples/licenses/truth.json`` (real licences). Values are compared after
normalisation (NFKC, whitespace removed, parenthesis width unified). A value reported where the
truth is null, or a wrong value, counts as a false positive. For scanned samples the character
error rate (CER) of the page text against the born-digital source's text layer is printed too.

Usage: python bench/accuracy.py [--set samples|real|all] [--engine NAME] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors.text import edit_distance  # noqa: E402
from pipeline.model import ExtractionResult  # noqa: E402
from pipeline.options import PipelineOptions  # noqa: E402
from pipeline.runner import extract_path, read_document  # noqa: E402

REAL_LICENSES = ROOT.parent / "shared" / "real-samples" / "licenses"
SAMPLES = ROOT / "sample_docs" / "submissions"
REAL_FIELDS = [
    "uscc",
    "registration_number",
    "company_name",
    "legal_representative",
    "established_date",
    "company_type",
    "address",
]


def norm(value: Any) -> str:
    """Comparison form of a value: NFKC, no whitespace, ASCII parentheses, numbers canonical."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text)
    return text.replace("（", "(").replace("）", ")")


def values_match(truth: Any, got: list[Any]) -> bool:
    """``got`` holds the values of every field of that name; a list-valued truth is matched by
    one field whose value is the list (materials, a consortium's party_b) or by several fields."""
    if isinstance(truth, list):
        if len(got) >= 1 and isinstance(got[0], list):
            return [norm(t) for t in truth] == [norm(g) for g in got[0]]
        return sorted(norm(t) for t in truth) == sorted(norm(g) for g in got)
    return len(got) >= 1 and norm(got[0]) == norm(truth)


@dataclass
class FieldScore:
    total: int = 0
    hits: int = 0
    false_positives: int = 0  # a value reported that is wrong, or where the truth is null
    nulls: int = 0

    def rate(self) -> str:
        return f"{self.hits / self.total:.1%}" if self.total else "-"


@dataclass
class SetScore:
    fields: dict[str, FieldScore] = field(default_factory=lambda: defaultdict(FieldScore))
    doc_types: FieldScore = field(default_factory=FieldScore)
    pages: int = 0
    seconds: float = 0.0
    cer: list[tuple[int, int]] = field(default_factory=list)  # (edits, reference length)
    failures: list[str] = field(default_factory=list)


def score_fields(score: SetScore, truth_fields: dict[str, Any], result: ExtractionResult, label: str) -> None:
    for name, truth in truth_fields.items():
        found = [f for f in result.fields if f.name == name]
        if not isinstance(truth, list):
            found.sort(key=lambda f: -f.confidence)
        got = [f.value for f in found if f.value is not None]
        fs = score.fields[name]
        if truth is None:
            # None is a value for some fields (validity_end of a 长期 licence): reading it is a hit
            fs.nulls += 1
            if got:
                fs.false_positives += 1
                score.failures.append(f"{label}: {name} reported {got[:1]!r} where truth is null")
            continue
        fs.total += 1
        if values_match(truth, got):
            fs.hits += 1
        else:
            if got:
                fs.false_positives += 1
            score.failures.append(f"{label}: {name} expected {truth!r}, got {got[:2]!r}")


def score_compatibility(
    score: SetScore, truth: list[dict[str, Any]], result: ExtractionResult, label: str
) -> None:
    """Compatibility entries as a pseudo-field ``compatibility``: each truth entry (category,
    canonical product) found is a hit; each entry reported that the truth does not list is a
    false positive."""
    fs = score.fields["compatibility"]
    want = {(str(e["category"]), str(e["canonical"])) for e in truth}
    got = {(str(e.category), str(e.canonical)) for e in result.compatibility if e.canonical}
    fs.total += len(want)
    fs.hits += len(want & got)
    fs.false_positives += len(got - want)
    for category, canonical in sorted(want - got):
        score.failures.append(f"{label}: compatibility entry {category}/{canonical} not found")
    for category, canonical in sorted(got - want):
        score.failures.append(f"{label}: compatibility entry {category}/{canonical} reported, not in truth")


def page_texts(path: Path, options: PipelineOptions) -> list[str]:
    return [re.sub(r"\s+", "", p.text) for p in read_document(path, options).pages]


def run_samples(options: PipelineOptions) -> dict[str, SetScore]:
    sets: dict[str, SetScore] = defaultdict(SetScore)
    if not SAMPLES.is_dir():
        print(f"(no {SAMPLES}; skipped)")
        return sets
    for truth_path in sorted(SAMPLES.glob("*/truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        variant = truth.get("variant", "born_digital")
        score = sets[f"samples/{variant}"]
        source = truth.get("source_submission")
        for name, doc in truth["documents"].items():
            path = truth_path.parent / name
            t0 = time.perf_counter()
            outcome = extract_path(path, options)
            result = outcome.result
            score.seconds += time.perf_counter() - t0
            score.pages += result.document.pages
            label = f"{truth['submission_id']}/{name}"
            score.doc_types.total += 1
            if result.document.doc_type == doc["doc_type"]:
                score.doc_types.hits += 1
            else:
                score.failures.append(f"{label}: type {result.document.doc_type} != {doc['doc_type']}")
            score_fields(score, doc.get("fields", {}), result, label)
            score_compatibility(score, doc.get("compatibility") or [], result, label)
            if variant == "scanned" and source:
                ref = _source_file(SAMPLES / source, name)
                if ref is not None and outcome.content is not None:
                    ref_pages = page_texts(ref, options)  # born-digital: text layer, no OCR
                    got_pages = [re.sub(r"\s+", "", p.text) for p in outcome.content.pages]
                    for r, g in zip(ref_pages, got_pages, strict=False):
                        score.cer.append((edit_distance(r, g), len(r)))
    return sets


def _source_file(folder: Path, scanned_name: str) -> Path | None:
    stem = Path(scanned_name).stem
    matches = sorted(folder.glob(f"{stem}.pdf"))
    return matches[0] if matches else None


def run_real(options: PipelineOptions) -> dict[str, SetScore]:
    sets: dict[str, SetScore] = defaultdict(SetScore)
    truth_path = REAL_LICENSES / "truth.json"
    if not truth_path.is_file():
        print(f"(no {truth_path}; skipped)")
        return sets
    score = sets["real/licenses"]
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    for name, t in sorted(truth.items()):
        t0 = time.perf_counter()
        result = extract_path(REAL_LICENSES / name, options).result
        score.seconds += time.perf_counter() - t0
        score.pages += result.document.pages
        score.doc_types.total += 1
        if result.document.doc_type == "business_license":
            score.doc_types.hits += 1
        else:
            score.failures.append(f"{name}: type {result.document.doc_type}")
        score_fields(score, {k: t.get(k) for k in REAL_FIELDS}, result, name)
    return sets


def report(sets: dict[str, SetScore]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for set_name, score in sets.items():
        print(
            f"\n== {set_name}: {score.pages} pages, {score.seconds:.1f} s "
            f"({score.seconds / max(score.pages, 1):.2f} s/page)"
        )
        print(f"{'field':<24}{'exact':>8}{'hits':>7}{'total':>7}{'false+':>8}{'null':>6}")
        dt = score.doc_types
        print(f"{'doc_type':<24}{dt.rate():>8}{dt.hits:>7}{dt.total:>7}{'':>8}{'':>6}")
        rows: dict[str, Any] = {"doc_type": {"hits": dt.hits, "total": dt.total}}
        for name, fs in sorted(score.fields.items()):
            print(f"{name:<24}{fs.rate():>8}{fs.hits:>7}{fs.total:>7}{fs.false_positives:>8}{fs.nulls:>6}")
            rows[name] = {
                "hits": fs.hits,
                "total": fs.total,
                "false_positives": fs.false_positives,
                "nulls": fs.nulls,
            }
        if score.cer:
            edits = sum(e for e, _ in score.cer)
            chars = sum(n for _, n in score.cer)
            print(
                f"OCR character error rate vs born-digital text: {edits / max(chars, 1):.2%} "
                f"({edits} edits / {chars} chars)"
            )
            rows["_cer"] = edits / max(chars, 1)
        out[set_name] = {
            "pages": score.pages,
            "seconds": round(score.seconds, 2),
            "fields": rows,
            "misses": score.failures,
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=["samples", "real", "all"], default="all")
    ap.add_argument("--engine", default=None)
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "accuracy.json")
    ap.add_argument("--misses", action="store_true", help="print every miss")
    args = ap.parse_args()
    options = PipelineOptions.from_env()
    if args.engine:
        options = options.model_copy(update={"ocr": options.ocr.model_copy(update={"engine": args.engine})})
    sets: dict[str, SetScore] = {}
    if args.set in ("samples", "all"):
        sets.update(run_samples(options))
    if args.set in ("real", "all"):
        sets.update(run_real(options))
    out = report(sets)
    if args.misses:
        for name, s in sets.items():
            print(f"\n-- misses in {name}")
            for m in s.failures:
                print("  " + m)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nwritten {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
