"""OCR engine comparison: which engine (and which engine input) reads our pages best, and how fast.

Sets:

* real licences, ``../shared/real-samples/licenses/*.jpg`` with ``truth.json`` (EXIF orientation
  applied). Scored on the whole OCR text of the page (whitespace removed, parenthesis width
  unified): ``codes`` = truth credit code (``uscc`` or 15-digit ``registration_number``) found as a
  check-digit-valid run (``codes+rep`` also counts runs that ``extractors.uscc.best_repair`` turns
  into the truth code); ``names``/``reps`` = truth company name / legal representative present
  verbatim. No field extractor is involved: this measures what the engine makes readable.
* scanned samples, ``sample_docs/submissions/*/truth.json`` with ``variant: scanned``: character
  error rate of each page against the text layer of the born-digital source (``source_submission``,
  same stem, ``.pdf``).

Every configuration times preprocessing (``pipeline.preprocess.prepare_page``, which includes the
Tesseract orientation probe) plus OCR, single-threaded (OpenCV, OpenMP and onnxruntime limited to 1
thread). Preprocessing runs once per page and is charged to every configuration. ``s/page`` is wall
time; ``cpu s`` is CPU time of this process and its children (Tesseract), the figure to trust on a
shared machine.

Configurations (``--configs``):

* ``tesseract``            Tesseract on ``prepared.ocr_image`` (Otsu binary): the pipeline today
* ``rapidocr:binary``      RapidOCR on the same binary image
* ``rapidocr:gray``        RapidOCR on the background-normalised grayscale (``binarize="none"``)
* ``rapidocr:upright``     RapidOCR on the upright, deskewed colour page
* ``rapidocr:raw``         RapidOCR on the unprocessed image (no preprocessing charged)
* ``combo``                Tesseract first; a page is re-read by ``--combo-second`` (RapidOCR on
  the grayscale) when Tesseract's mean word confidence is below each of ``--combo-thresholds``
  (``combo@conf<T``), or when Tesseract's text holds no check-digit-valid credit code
  (``combo@nocode``; licences only make sense here). Computed from the two single runs, so it
  costs nothing extra; its time is Tesseract's plus RapidOCR's OCR time on re-read pages.

Usage: python bench/engines.py [--set real|samples|all] [--configs a,b,...] [--limit N] [--json OUT]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import resource
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors import uscc as uscc_mod  # noqa: E402
from extractors.text import edit_distance  # noqa: E402
from pipeline.errors import EvidenceError  # noqa: E402
from pipeline.layout import group_lines  # noqa: E402
from pipeline.loading import load_document  # noqa: E402
from pipeline.model import Word  # noqa: E402
from pipeline.ocr.base import OcrEngine, OcrOptions, get_engine  # noqa: E402
from pipeline.options import PipelineOptions  # noqa: E402
from pipeline.page_reader import render_pdf_page  # noqa: E402
from pipeline.preprocess import PreprocessOptions, binarize, prepare_page  # noqa: E402
from pipeline.runner import read_document  # noqa: E402

REAL_LICENSES = ROOT.parent / "shared" / "real-samples" / "licenses"
SAMPLES = ROOT / "sample_docs" / "submissions"
DEFAULT_CONFIGS = ["tesseract", "rapidocr:binary", "rapidocr:gray", "rapidocr:upright", "rapidocr:raw"]
DEFAULT_COMBO_THRESHOLDS = [0.50, 0.60, 0.70, 0.80]

_ALNUM_RUN = re.compile(r"[0-9A-Za-z]{15,}")


# --- text and scoring -----------------------------------------------------------------------


def compact_text(text: str) -> str:
    """NFKC, whitespace removed, ASCII parentheses (as in bench/accuracy.py)."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text)
    return text.replace("（", "(").replace("）", ")")


def page_text(words: list[Word]) -> str:
    return "\n".join(ln.text for ln in group_lines(words))


def codes_in(text: str) -> tuple[set[str], set[str]]:
    """(check-digit-valid USCCs and 注册号 as read, codes after a unique check-digit repair)."""
    valid: set[str] = set()
    repaired: set[str] = set()
    for m in _ALNUM_RUN.finditer(compact_text(text)):
        run = m.group().upper()
        for i in range(len(run) - 17):
            window = run[i : i + 18]
            if uscc_mod.is_valid(window):
                valid.add(window)
            else:
                fixed = uscc_mod.best_repair(window)
                if fixed is not None:
                    repaired.add(fixed[0])
        for i in range(len(run) - 14):
            window = run[i : i + 15]
            if uscc_mod.is_valid_registration_number(window):
                valid.add(window)
    return valid, repaired | valid


@functools.lru_cache(maxsize=256)
def cpu_seconds() -> float:
    """CPU time of this process plus its finished children (Tesseract runs as a child process):
    robust against other jobs on the machine, unlike wall time."""
    me = time.process_time()
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me + ch.ru_utime + ch.ru_stime


# --- pages ----------------------------------------------------------------------------------


@dataclass
class Page:
    label: str
    image: np.ndarray  # BGR as loaded (EXIF applied)
    truth: dict[str, Any] = field(default_factory=dict)  # real licences
    reference: str | None = None  # scanned samples: born-digital text, compacted


def real_pages(limit: int | None) -> Iterator[Page]:
    truth_path = REAL_LICENSES / "truth.json"
    if not truth_path.is_file():
        print(f"(no {truth_path}; skipped)")
        return
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    for name in sorted(truth)[:limit]:
        with Image.open(REAL_LICENSES / name) as im:
            rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        yield Page(label=name, image=np.ascontiguousarray(rgb[:, :, ::-1]), truth=truth[name])


def sample_pages(limit: int | None) -> Iterator[Page]:
    if not SAMPLES.is_dir():
        print(f"(no {SAMPLES}; skipped)")
        return
    options = PipelineOptions()
    count = 0
    for truth_path in sorted(SAMPLES.glob("*/truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if truth.get("variant") != "scanned" or not truth.get("source_submission"):
            continue
        source = SAMPLES / truth["source_submission"]
        for name in sorted(truth.get("documents", {})):
            ref_path = source / f"{Path(name).stem}.pdf"
            if not ref_path.is_file():
                continue
            path = truth_path.parent / name
            if not path.is_file():
                continue
            ref_pages = [compact_text(p.text) for p in read_document(ref_path, options).pages]
            try:
                loaded = load_document(path.read_bytes(), name, options.limits)
            except EvidenceError as e:
                print(f"(cannot load {path}: {e.message}; skipped)")
                continue
            try:
                for i in range(min(loaded.page_count, len(ref_pages))):
                    if limit is not None and count >= limit:
                        return
                    if loaded.pdf is not None:
                        limits = options.limits
                        image = render_pdf_page(loaded.pdf[i], options.reading.dpi, limits.max_pixels)[0]
                    else:
                        image = loaded.frame_array(i)
                    count += 1
                    label = f"{truth_path.parent.name}/{name}#{i + 1}"
                    yield Page(label=label, image=image, reference=ref_pages[i])
            finally:
                loaded.close()


# --- runs -----------------------------------------------------------------------------------


@dataclass
class PageResult:
    label: str
    seconds: float  # wall: preprocess (unless raw) + OCR
    ocr_seconds: float  # wall: OCR only
    cpu: float  # CPU: preprocess (unless raw) + OCR
    ocr_cpu: float  # CPU: OCR only
    text: str
    mean_conf: float
    error: str | None = None


@dataclass
class Engines:
    tesseract: OcrEngine
    rapidocr: OcrEngine | None


def run_page(page: Page, configs: list[str], engines: Engines) -> dict[str, PageResult]:
    out: dict[str, PageResult] = {}
    t0, c0 = time.perf_counter(), cpu_seconds()
    prepared = prepare_page(page.image, options=PreprocessOptions(binarize="none"))
    t_gray, c_gray = time.perf_counter() - t0, cpu_seconds() - c0
    t0, c0 = time.perf_counter(), cpu_seconds()
    binary = binarize(prepared.ocr_image, "otsu")
    t_bin, c_bin = t_gray + time.perf_counter() - t0, c_gray + cpu_seconds() - c0
    inputs: dict[str, tuple[np.ndarray, float, float]] = {
        "binary": (binary, t_bin, c_bin),
        "gray": (prepared.ocr_image, t_gray, c_gray),
        "upright": (prepared.upright, t_gray, c_gray),
        "raw": (page.image, 0.0, 0.0),
    }
    for cfg in configs:
        if cfg == "combo":
            continue
        engine_name, _, variant = cfg.partition(":")
        engine = engines.tesseract if engine_name == "tesseract" else engines.rapidocr
        if engine is None:
            continue
        image, prep_s, prep_cpu = inputs[variant or "binary"]
        t0, c0 = time.perf_counter(), cpu_seconds()
        try:
            words = engine.recognize(image)
            error = None
        except EvidenceError as e:
            words, error = [], f"{e.code}: {e.message[:120]}"
        ocr_s, ocr_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        confs = [w.confidence for w in words]
        out[cfg] = PageResult(
            label=page.label,
            seconds=prep_s + ocr_s,
            ocr_seconds=ocr_s,
            cpu=prep_cpu + ocr_cpu,
            ocr_cpu=ocr_cpu,
            text=page_text(words),
            mean_conf=sum(confs) / len(confs) if confs else 0.0,
            error=error,
        )
    return out


def combo(results: dict[str, PageResult], threshold: float | None, second: str) -> PageResult | None:
    """Tesseract's result, or ``second``'s when Tesseract's mean word confidence is below
    ``threshold`` (``None``: when Tesseract's text holds no check-digit-valid credit code)."""
    first = results.get("tesseract")
    other = results.get(second)
    if first is None or other is None:
        return None
    if threshold is None:
        if codes_in(first.text)[0]:
            return first
    elif first.mean_conf >= threshold:
        return first
    return PageResult(
        label=first.label,
        seconds=first.seconds + other.ocr_seconds,
        ocr_seconds=first.ocr_seconds + other.ocr_seconds,
        cpu=first.cpu + other.ocr_cpu,
        ocr_cpu=first.ocr_cpu + other.ocr_cpu,
        text=other.text,
        mean_conf=other.mean_conf,
    )


@dataclass
class Score:
    pages: int = 0
    seconds: float = 0.0
    ocr_seconds: float = 0.0
    cpu: float = 0.0
    codes: int = 0
    codes_repaired: int = 0
    codes_total: int = 0
    names: int = 0
    names_total: int = 0
    reps: int = 0
    reps_total: int = 0
    edits: int = 0
    ref_chars: int = 0
    rereads: int = 0
    errors: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(self, page: Page, r: PageResult, reread: bool = False) -> None:
        self.pages += 1
        self.seconds += r.seconds
        self.ocr_seconds += r.ocr_seconds
        self.cpu += r.cpu
        self.rereads += int(reread)
        if r.error:
            self.errors.append(f"{page.label}: {r.error}")
        text = compact_text(r.text)
        if page.truth:
            code = page.truth.get("uscc") or page.truth.get("registration_number")
            if code:
                self.codes_total += 1
                valid, repaired = codes_in(r.text)
                code = uscc_mod.compact(str(code))
                self.codes += code in valid
                self.codes_repaired += code in repaired
                if code not in repaired:
                    self.misses.append(f"{page.label}: code")
            for key, attr in (("company_name", "names"), ("legal_representative", "reps")):
                value = page.truth.get(key)
                if not value:
                    continue
                setattr(self, f"{attr}_total", getattr(self, f"{attr}_total") + 1)
                if compact_text(str(value)) in text:
                    setattr(self, attr, getattr(self, attr) + 1)
                else:
                    self.misses.append(f"{page.label}: {key}")
        if page.reference is not None:
            self.edits += edit_distance(page.reference, text)
            self.ref_chars += len(page.reference)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "pages": self.pages,
            "seconds": round(self.seconds, 2),
            "s_per_page": round(self.seconds / max(self.pages, 1), 3),
            "ocr_s_per_page": round(self.ocr_seconds / max(self.pages, 1), 3),
            "cpu_s_per_page": round(self.cpu / max(self.pages, 1), 3),
        }
        if self.codes_total or self.names_total:
            d.update(
                codes=self.codes,
                codes_repaired=self.codes_repaired,
                codes_total=self.codes_total,
                names=self.names,
                names_total=self.names_total,
                reps=self.reps,
                reps_total=self.reps_total,
            )
        if self.ref_chars:
            d.update(cer=round(self.edits / self.ref_chars, 4), edits=self.edits, ref_chars=self.ref_chars)
        if self.rereads:
            d["rereads"] = self.rereads
        d["errors"] = self.errors
        d["misses"] = self.misses
        return d


def run_set(
    name: str,
    pages: Iterator[Page],
    configs: list[str],
    engines: Engines,
    thresholds: list[float],
    combo_second: str,
    log: Callable[[str], None],
) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    for page in pages:
        results = run_page(page, configs, engines)
        for cfg, r in results.items():
            scores.setdefault(cfg, Score()).add(page, r)
        if "combo" in configs:
            triggers: list[float | None] = [*thresholds, None]
            for th in triggers:
                c = combo(results, th, combo_second)
                if c is not None:
                    reread = c is not results["tesseract"]
                    key = f"combo@conf<{th:.2f}" if th is not None else "combo@nocode"
                    scores.setdefault(key, Score()).add(page, c, reread)
        log(
            f"  {name} {page.label}: "
            + ", ".join(f"{k} {v.seconds:.1f}s conf {v.mean_conf:.2f}" for k, v in results.items())
        )
    return scores


def print_table(set_name: str, scores: dict[str, Score]) -> None:
    if not scores:
        return
    any_real = any(s.codes_total for s in scores.values())
    any_cer = any(s.ref_chars for s in scores.values())
    print(f"\n== {set_name}")
    head = f"{'config':<22}{'pages':>6}{'s/page':>8}{'ocr s':>7}{'cpu s':>7}"
    if any_real:
        head += f"{'codes':>8}{'+rep':>6}{'names':>8}{'reps':>8}"
    if any_cer:
        head += f"{'CER':>8}"
    head += f"{'reread':>7}"
    print(head)
    for cfg, s in scores.items():
        n = max(s.pages, 1)
        row = f"{cfg:<22}{s.pages:>6}{s.seconds / n:>8.2f}{s.ocr_seconds / n:>7.2f}{s.cpu / n:>7.2f}"
        if any_real:
            row += (
                f"{f'{s.codes}/{s.codes_total}':>8}{s.codes_repaired:>6}"
                f"{f'{s.names}/{s.names_total}':>8}{f'{s.reps}/{s.reps_total}':>8}"
            )
        if any_cer:
            row += f"{s.edits / max(s.ref_chars, 1):>8.2%}"
        row += f"{s.rereads or '':>7}"
        print(row)
        for e in s.errors:
            print(f"    error {e}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=["real", "samples", "all"], default="all")
    ap.add_argument("--configs", default=",".join([*DEFAULT_CONFIGS, "combo"]))
    ap.add_argument("--combo-thresholds", default=",".join(f"{t:.2f}" for t in DEFAULT_COMBO_THRESHOLDS))
    ap.add_argument("--combo-second", default="rapidocr:gray", help="configuration that re-reads pages")
    ap.add_argument("--rapid-max-side", type=int, default=None, help="RapidOCR max_side (default 2000)")
    ap.add_argument("--limit", type=int, default=None, help="pages per set (for a quick look)")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "engines.json")
    ap.add_argument("--misses", action="store_true", help="print which truth values each config missed")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per page")
    args = ap.parse_args()

    cv2.setNumThreads(1)
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    thresholds = [float(t) for t in args.combo_thresholds.split(",") if t.strip()]
    if "combo" in configs and args.combo_second not in configs:
        configs.append(args.combo_second)
    if "combo" in configs and "tesseract" not in configs:
        configs.insert(0, "tesseract")
    tesseract = get_engine(OcrOptions(engine="tesseract"))
    rapid: OcrEngine | None = None
    if any(c.startswith("rapidocr") for c in configs):
        try:
            rapid = get_engine(OcrOptions(engine="rapidocr"))
            if args.rapid_max_side:
                rapid.max_side = args.rapid_max_side  # type: ignore[attr-defined]
            rapid.recognize(np.full((64, 256), 255, np.uint8))  # load the models outside the timings
        except EvidenceError as e:
            print(f"(rapidocr unavailable: {e.message}; its configurations are skipped)")
            rapid = None
    engines = Engines(tesseract, rapid)
    names = {"tesseract": tesseract.name, "rapidocr": rapid.name if rapid else None}

    def log(msg: str) -> None:
        if args.verbose:
            print(msg, flush=True)

    out: dict[str, Any] = {"engines": names, "configs": configs, "threads": 1, "sets": {}}
    sets: dict[str, dict[str, Score]] = {}
    if args.set in ("real", "all"):
        sets["real/licenses"] = run_set(
            "real", real_pages(args.limit), configs, engines, thresholds, args.combo_second, log
        )
    if args.set in ("samples", "all"):
        sets["samples/scanned"] = run_set(
            "samples", sample_pages(args.limit), configs, engines, thresholds, args.combo_second, log
        )
    for set_name, scores in sets.items():
        print_table(set_name, scores)
        if args.misses:
            for cfg, s in scores.items():
                if s.misses:
                    print(f"  misses {cfg}: {', '.join(s.misses)}")
        out["sets"][set_name] = {cfg: s.as_dict() for cfg, s in scores.items()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nengines: {names}\nwritten {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
