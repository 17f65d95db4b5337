"""Throughput: the product path versus the physical floor of a Tesseract pipeline, in one run.

Scans: the ``variant: scanned`` samples (``sample_docs/submissions/*/truth.json``) through

* ``bare``     every page as a PNG (PDF pages rasterised at ``EVIDENCE_DPI``, TIFF frames split,
               JPEG/PNG re-encoded — all outside the timing) through the ``tesseract`` CLI with the
               pipeline's language, ``--oem``/``--psm`` and TSV output (what ``image_to_data``
               asks for), ``nproc`` at a time, ``OMP_THREAD_LIMIT=1``: the floor;
* ``pipeline`` the same documents through ``pipeline.index.work.process_key`` (load, per-page
               preprocessing + OCR in the process pool, extractors, seals, sensitive screening,
               result + page images written to a local store, index bookkeeping), ``2 x nproc``
               documents at a time on threads (``reprocess``'s default), no Prefect;
* ``bare rapidocr`` (when RapidOCR is the pipeline's engine) the same PNGs straight through
               RapidOCR, ``nproc`` worker processes with the models loaded before the timing, one
               onnxruntime thread each, the pipeline's long-side limit: the floor for the engine the
               pipeline actually runs;
* ``product``  the ``reprocess`` Prefect flow over the same documents (``concurrency=2 x nproc``,
               ``EVIDENCE_OCR_WORKERS=nproc``), against a Prefect API started before the timing.

* ``extraction only`` the same documents through ``extract_bytes`` at the same concurrency,
               sharing the same OCR pool: reading and extraction without store, index or Prefect.

``product / bare`` is the end-to-end ratio (target: overhead < 15 %, i.e. ratio < 1.15);
``(product - extraction only) / bare`` is what orchestration itself (store, index, Prefect) adds;
``(product - pipeline) / bare`` is Prefect's part of it; the rest of the gap is the pipeline's own
work beyond one OCR pass per page (preprocessing, orientation, line and seal re-reads,
extraction).

Born-digital: the ``variant: born_digital`` samples through ``pipeline`` and ``product`` with one
document at a time and ``EVIDENCE_OCR_WORKERS=1``, and through ``extract_bytes`` alone (no store,
index or page images) with and without seal-ring OCR, in pages per second of wall time and per CPU
second (this process and its children: the per-core figure that other load on a shared machine
does not distort). Target ≥ 50 pages/s per core.

The bare-RapidOCR and product runs on scans are repeated ``--rounds`` times, interleaved, and the
median ratio is reported: on this shared machine the very same bare run varied by up to 20 % in
CPU seconds from one run to the next.

Usage: python bench/throughput.py [--workers N] [--skip-product] [--rounds 3] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SUBMISSIONS = ROOT / "sample_docs" / "submissions"


@dataclass
class Doc:
    submission: str
    path: Path
    pages: int


@dataclass
class Timing:
    name: str
    pages: int
    wall_s: float
    cpu_s: float

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0

    @property
    def pages_per_cpu_s(self) -> float:
        return self.pages / self.cpu_s if self.cpu_s else 0.0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds() -> float:
    """CPU (user+system) used so far by this process tree: every live process's own time plus
    what its reaped children used (``/proc/<pid>/stat`` utime, stime, cutime, cstime). The OCR
    pool's long-lived workers are counted too, which ``getrusage(RUSAGE_CHILDREN)`` would miss."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in [os.getpid(), *_descendants(os.getpid())]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile: its time is in its parent's cutime once reaped
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / tick


def settled_cpu_seconds(quiet_cpu_s: float = 0.03, every_s: float = 0.5, limit_s: float = 15.0) -> float:
    """``cpu_seconds()`` once the process tree is idle: the Prefect API server records task runs
    from events after the flow has returned, and that CPU belongs to the run measured."""
    now = cpu_seconds()
    deadline = time.perf_counter() + limit_s
    while time.perf_counter() < deadline:
        time.sleep(every_s)
        later = cpu_seconds()
        if later - now < quiet_cpu_s:
            return now
        now = later
    return now


@contextmanager
def timed(name: str, pages: int, out: list[Timing], *, settle: bool = False) -> Iterator[None]:
    """Wall and CPU seconds of the block; ``settle``: CPU counted until the tree is idle again."""
    c0, t0 = (settled_cpu_seconds() if settle else cpu_seconds()), time.perf_counter()
    yield
    wall = time.perf_counter() - t0
    out.append(Timing(name, pages, wall, (settled_cpu_seconds() if settle else cpu_seconds()) - c0))


def sample_docs(variant: str) -> list[Doc]:
    docs = []
    for truth_path in sorted(SUBMISSIONS.glob("*/truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if truth.get("variant") != variant:
            continue
        for name, doc in sorted(truth["documents"].items()):
            path = truth_path.parent / name
            if path.is_file():
                docs.append(Doc(truth["submission_id"], path, int(doc["pages"])))
    return docs


# ----------------------------------------------------------------------------- bare Tesseract


def rasterise(docs: list[Doc], folder: Path, dpi: int) -> list[Path]:
    """Every page as a PNG (not timed)."""
    import pymupdf
    from PIL import Image, ImageSequence

    pngs: list[Path] = []
    for n, doc in enumerate(docs):
        stem = f"{n:03d}-{doc.path.stem}"
        if doc.path.suffix.lower() == ".pdf":
            with pymupdf.open(doc.path) as pdf:
                for p, page in enumerate(pdf):
                    out = folder / f"{stem}-{p}.png"
                    page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY).save(out)
                    pngs.append(out)
        else:
            with Image.open(doc.path) as img:
                for p, frame in enumerate(ImageSequence.Iterator(img)):
                    out = folder / f"{stem}-{p}.png"
                    frame.convert("L").save(out)
                    pngs.append(out)
    return pngs


def tesseract_cmd(png: Path, lang: str, oem: int, psm: int) -> list[str]:
    return ["tesseract", str(png), "stdout", "-l", lang, "--oem", str(oem), "--psm", str(psm), "tsv"]


def run_bare(pngs: list[Path], workers: int, lang: str, oem: int, psm: int) -> None:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(png: Path) -> None:
        subprocess.run(tesseract_cmd(png, lang, oem, psm), env=env, check=True, capture_output=True)

    # threads only wait: the workers are the `workers` Tesseract processes running at any time
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, pngs))


_bare_engine: Any = None


def _bare_rapidocr_init() -> None:
    global _bare_engine
    from pipeline.ocr.rapidocr import DEFAULT_MAX_SIDE, _reader

    _bare_engine = _reader(1, DEFAULT_MAX_SIDE, False)


def _bare_rapidocr_one(png: str) -> int:
    import cv2

    result, _elapsed = _bare_engine(cv2.imread(png))
    return len(result or [])


def rapidocr_pool(workers: int) -> Any:
    """``workers`` processes, each with RapidOCR loaded and warmed on one page (not timed)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_bare_rapidocr_init,
    )
    return pool


def run_bare_rapidocr(pool: Any, pngs: list[Path]) -> None:
    """RapidOCR (detection + recognition, one onnxruntime thread, the pipeline's long-side limit)
    straight on every page PNG: the floor for a RapidOCR pipeline."""
    list(pool.map(_bare_rapidocr_one, [str(p) for p in pngs]))


def run_extract_only(docs: list[Doc], options: Any, concurrency: int = 1) -> None:
    """``extract_bytes`` on each document, ``concurrency`` at a time on threads (OCR pages go to
    the shared process pool as in the product): no store, no index, no page images, no Prefect."""
    from pipeline.runner import extract_bytes

    def one(d: Doc) -> None:
        extract_bytes(d.path.read_bytes(), d.path.name, options)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        list(pool.map(one, docs))


# ----------------------------------------------------------------------------- the product


def set_env(tmp: Path, name: str, ocr_workers: int) -> None:
    """A fresh local store and index for one measurement."""
    os.environ.update(
        EVIDENCE_STORE="local",
        EVIDENCE_STORE_PATH=str(tmp / name / "store"),
        EVIDENCE_DB_URL=f"sqlite:///{tmp / name / 'index.sqlite3'}",
        EVIDENCE_OCR_WORKERS=str(ocr_workers),
    )


def upload(docs: list[Doc]) -> list[str]:
    from pipeline.processing import put_upload
    from pipeline.store import open_store

    store = open_store()
    return [put_upload(store, d.submission, d.path.name, d.path.read_bytes())[0] for d in docs]


def run_pipeline(keys: list[str], concurrency: int) -> list[str]:
    """``process_key`` per document, ``concurrency`` at a time, without Prefect. Returns failures."""
    from pipeline.index import open_index
    from pipeline.index.work import process_key
    from pipeline.options import PipelineOptions
    from pipeline.store import open_store

    store, index, options = open_store(), open_index(), PipelineOptions.from_env()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(lambda k: process_key(store, index, k, options=options), keys))
    return [f"{o.key}: {o.outcome} {o.error or ''}" for o in outcomes if o.outcome != "processed"]


def run_product(submissions: list[str], concurrency: int) -> list[str]:
    from flows.reprocess import reprocess
    from pipeline.index import Selection

    report = reprocess(
        Selection(submissions=tuple(submissions)), concurrency=concurrency, refresh_reviews=False
    )
    return [f"{f.key}: {f.error}" for f in report.failures]


def warm_up(tmp: Path, workers: int) -> None:
    """Imports, the Prefect API (ephemeral server) and the OCR process pool, outside the timing."""
    import pymupdf
    from PIL import Image, ImageDraw

    from flows.reprocess import reprocess  # noqa: F401  (import cost)

    set_env(tmp, "warmup", workers)
    img = Image.new("L", (800, 300), 255)
    ImageDraw.Draw(img).text((40, 120), "warm up 0123456789", fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = pymupdf.open()
    for _ in range(workers):
        page = pdf.new_page(width=400, height=150)
        page.insert_image(page.rect, stream=buf.getvalue())
    path = tmp / "warmup.pdf"
    pdf.save(path)
    pdf.close()
    upload([Doc("S-WARMUP", path, workers)])
    run_product(["S-WARMUP"], 1)


def measure(
    label: str,
    docs: list[Doc],
    tmp: Path,
    *,
    workers: int,
    concurrency: int,
    timings: list[Timing],
    skip_product: bool,
) -> list[str]:
    pages = sum(d.pages for d in docs)
    submissions = sorted({d.submission for d in docs})
    failures: list[str] = []
    set_env(tmp, f"{label}-pipeline", workers)
    keys = upload(docs)
    with timed(f"{label}: pipeline (no Prefect)", pages, timings):
        failures += run_pipeline(keys, concurrency)
    if not skip_product:
        set_env(tmp, f"{label}-product", workers)
        upload(docs)
        with timed(f"{label}: product (reprocess flow)", pages, timings, settle=True):
            failures += run_product(submissions, concurrency)
    return failures


def measure_scans(
    args: argparse.Namespace,
    tmp: Path,
    scans: list[Doc],
    pngs: list[Path],
    workers: int,
    engine: str,
    options: Any,
    timings: list[Timing],
) -> list[str]:
    """The scanned samples: bare Tesseract, bare RapidOCR, pipeline, product, extraction only,
    then the further interleaved bare-RapidOCR / product rounds."""
    ocr = options.ocr
    scan_pages = sum(d.pages for d in scans)
    failures: list[str] = []
    with timed("scans: bare tesseract CLI", len(pngs), timings):
        run_bare(pngs, workers, ocr.lang, ocr.oem, ocr.psm)
    if engine == "rapidocr":
        with rapidocr_pool(workers) as pool:
            run_bare_rapidocr(pool, pngs[:workers])  # load the models (not timed)
            with timed("scans: bare rapidocr", len(pngs), timings):
                run_bare_rapidocr(pool, pngs)
    failures += measure(
        "scans",
        scans,
        tmp,
        workers=workers,
        concurrency=2 * workers,  # as reprocess's default_concurrency()
        timings=timings,
        skip_product=args.skip_product,
    )
    with timed("scans: extraction only", scan_pages, timings):
        run_extract_only(scans, options, concurrency=2 * workers)
    if engine == "rapidocr" and not args.skip_product and args.rounds > 1:
        with rapidocr_pool(workers) as pool:
            run_bare_rapidocr(pool, pngs[:workers])
            for r in range(2, args.rounds + 1):
                with timed(f"scans: bare rapidocr (round {r})", len(pngs), timings):
                    run_bare_rapidocr(pool, pngs)
                set_env(tmp, f"scans-product-{r}", workers)
                upload(scans)
                with timed(f"scans: product (round {r})", scan_pages, timings, settle=True):
                    failures += run_product(sorted({d.submission for d in scans}), 2 * workers)
    return failures


def measure_born_digital(
    args: argparse.Namespace, tmp: Path, born: list[Doc], options: Any, timings: list[Timing]
) -> list[str]:
    """The born-digital samples one document at a time with one OCR worker: pipeline, product,
    and extraction alone with and without seal-ring OCR."""
    failures: list[str] = []
    failures += measure(
        "born-digital",
        born,
        tmp,
        workers=1,
        concurrency=1,
        timings=timings,
        skip_product=args.skip_product,
    )
    born_pages = sum(d.pages for d in born)
    with timed("born-digital: extraction only", born_pages, timings):
        run_extract_only(born, options)
    no_ring = options.model_copy(update={"seals": options.seals.model_copy(update={"read_text": False})})
    with timed("born-digital: extraction, no seal-ring OCR", born_pages, timings):
        run_extract_only(born, no_ring)
    return failures


def load_average() -> float:
    return os.getloadavg()[0]


def summarize_scans(
    by: dict[str, Timing], summary: dict[str, Any], engine: str, workers: int, rounds_n: int
) -> None:
    """The scan ratios into ``summary``, and printed."""
    bare = by["scans: bare tesseract CLI"]
    ratio_of: Callable[[str], float | None] = lambda name: (  # noqa: E731
        round(by[name].wall_s / bare.wall_s, 3) if name in by else None
    )
    summary["scan_ratio_pipeline_over_bare"] = ratio_of("scans: pipeline (no Prefect)")
    summary["scan_ratio_product_over_bare"] = ratio_of("scans: product (reprocess flow)")
    if "scans: bare rapidocr" in by:
        bare_engine = by["scans: bare rapidocr"]
        for key, name in (
            ("scan_ratio_pipeline_over_bare_engine", "scans: pipeline (no Prefect)"),
            ("scan_ratio_product_over_bare_engine", "scans: product (reprocess flow)"),
        ):
            if name in by:
                summary[key] = round(by[name].wall_s / bare_engine.wall_s, 3)
                # CPU seconds are not stretched by other load on a shared machine the way wall
                # time is: the steadier figure when the load average moved during the run
                summary[key + "_cpu"] = round(by[name].cpu_s / max(bare_engine.cpu_s, 1e-9), 3)
    pairs = [("scans: bare rapidocr", "scans: product (reprocess flow)")] + [
        (f"scans: bare rapidocr (round {r})", f"scans: product (round {r})") for r in range(2, rounds_n + 1)
    ]
    rounds = [(by[b], by[p]) for b, p in pairs if b in by and p in by]
    if rounds:
        wall = sorted(p.wall_s / b.wall_s for b, p in rounds)
        cpu = sorted(p.cpu_s / max(b.cpu_s, 1e-9) for b, p in rounds)
        summary["scan_ratio_product_over_bare_engine_rounds"] = [round(v, 3) for v in wall]
        summary["scan_ratio_product_over_bare_engine_median"] = round(wall[len(wall) // 2], 3)
        summary["scan_ratio_product_over_bare_engine_cpu_median"] = round(cpu[len(cpu) // 2], 3)
        # all rounds pooled (total product time over total bare time): steadier than any one pair
        summary["scan_ratio_product_over_bare_engine_pooled"] = round(
            sum(p.wall_s for _, p in rounds) / sum(b.wall_s for b, _ in rounds), 3
        )
        summary["scan_ratio_product_over_bare_engine_cpu_pooled"] = round(
            sum(p.cpu_s for _, p in rounds) / max(sum(b.cpu_s for b, _ in rounds), 1e-9), 3
        )
    if "scans: bare rapidocr" in by and "scans: product (reprocess flow)" in by:
        # what storing, indexing and Prefect add on top of reading and extracting the documents
        summary["scan_orchestration_share_of_bare_engine"] = round(
            (by["scans: product (reprocess flow)"].wall_s - by["scans: extraction only"].wall_s)
            / by["scans: bare rapidocr"].wall_s,
            3,
        )
    if "scans: product (reprocess flow)" in by:
        summary["scan_orchestration_share_of_bare"] = round(
            (by["scans: product (reprocess flow)"].wall_s - by["scans: pipeline (no Prefect)"].wall_s)
            / bare.wall_s,
            3,
        )
    print(
        f"scans, {workers} cores: pipeline/bare = {summary['scan_ratio_pipeline_over_bare']}, "
        f"product/bare = {summary['scan_ratio_product_over_bare']} (target < 1.15); "
        f"Prefect share of bare time = {summary.get('scan_orchestration_share_of_bare')}"
    )
    if "scan_ratio_product_over_bare_engine" in summary or "scan_ratio_pipeline_over_bare_engine" in summary:
        print(
            f"scans against bare {engine} (the engine the pipeline runs): pipeline/bare = "
            f"{summary.get('scan_ratio_pipeline_over_bare_engine')}, product/bare = "
            f"{summary.get('scan_ratio_product_over_bare_engine')} (CPU seconds: "
            f"{summary.get('scan_ratio_pipeline_over_bare_engine_cpu')}, "
            f"{summary.get('scan_ratio_product_over_bare_engine_cpu')})"
        )
    if "scan_ratio_product_over_bare_engine_median" in summary:
        print(
            f"scans, product/bare {engine} over {len(rounds)} interleaved rounds: "
            f"{summary['scan_ratio_product_over_bare_engine_rounds']}, median "
            f"{summary['scan_ratio_product_over_bare_engine_median']} "
            f"(CPU median {summary['scan_ratio_product_over_bare_engine_cpu_median']}); all rounds pooled: "
            f"{summary['scan_ratio_product_over_bare_engine_pooled']} "
            f"(CPU {summary['scan_ratio_product_over_bare_engine_cpu_pooled']}; target < 1.15)"
        )
    if "scan_orchestration_share_of_bare_engine" in summary:
        print(
            "scans: store, index and Prefect (product - extraction only) add "
            f"{summary['scan_orchestration_share_of_bare_engine']:+.1%} of the bare {engine} time"
        )


def summarize_born_digital(by: dict[str, Timing], summary: dict[str, Any]) -> None:
    """The born-digital figure into ``summary``, and printed."""
    born_name = (
        "born-digital: product (reprocess flow)"
        if "born-digital: product (reprocess flow)" in by
        else "born-digital: pipeline (no Prefect)"
    )
    summary["born_digital_pages_per_cpu_s"] = round(by[born_name].pages_per_cpu_s, 1)

    print(
        f"born-digital ({born_name}): {summary['born_digital_pages_per_cpu_s']} pages per CPU second "
        f"(target ≥ 50)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="cores to use")
    parser.add_argument("--skip-product", action="store_true", help="no Prefect measurements")
    parser.add_argument(
        "--part", choices=("all", "scans", "born-digital"), default="all", help="measure only one sample set"
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "throughput.json")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="bare-RapidOCR / product pairs on scans, interleaved (the ratio's median is reported: "
        "the same bare run varies by up to 20 %% in CPU time on a shared machine)",
    )
    args = parser.parse_args(argv)
    workers = max(1, args.workers)
    if shutil.which("tesseract") is None:
        print("tesseract is not installed", file=sys.stderr)
        return 2

    from pipeline.ocr.base import resolve_auto_engine
    from pipeline.options import PipelineOptions

    options = PipelineOptions.from_env()
    ocr = options.ocr
    engine = resolve_auto_engine() if ocr.engine == "auto" else ocr.engine
    scans, born = sample_docs("scanned"), sample_docs("born_digital")
    if not scans or not born:
        print("no samples: run `make samples`", file=sys.stderr)
        return 2
    timings: list[Timing] = []
    failures: list[str] = []
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="evidence-bench-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["PREFECT_HOME"] = str(tmp / "prefect")
        pngs_dir = tmp / "pngs"
        pngs_dir.mkdir()
        pngs = rasterise(scans, pngs_dir, options.reading.dpi)
        scan_pages = sum(d.pages for d in scans)
        if len(pngs) != scan_pages:
            print(f"warning: {len(pngs)} page images for {scan_pages} pages in truth", file=sys.stderr)
        if not args.skip_product:
            warm_up(tmp, workers)
        if args.part in ("all", "scans"):
            failures += measure_scans(args, tmp, scans, pngs, workers, engine, options, timings)
        if args.part in ("all", "born-digital"):
            failures += measure_born_digital(args, tmp, born, options, timings)
    load_after = load_average()

    by = {t.name: t for t in timings}
    summary: dict[str, Any] = {
        "cores": workers,
        "ocr_engine": engine,
        "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
        "scanned": {"documents": len(scans), "pages": scan_pages},
        "born_digital": {"documents": len(born), "pages": sum(d.pages for d in born)},
        "timings": [
            {
                **asdict(t),
                "pages_per_s": round(t.pages_per_s, 2),
                "pages_per_cpu_s": round(t.pages_per_cpu_s, 2),
            }
            for t in timings
        ],
        "failures": failures,
    }
    print(f"{'measurement':<42} {'pages':>5} {'wall s':>8} {'cpu s':>8} {'pages/s':>8} {'p/cpu-s':>8}")
    for t in timings:
        print(
            f"{t.name:<42} {t.pages:>5} {t.wall_s:>8.1f} {t.cpu_s:>8.1f} "
            f"{t.pages_per_s:>8.2f} {t.pages_per_cpu_s:>8.2f}"
        )
    print()
    if "scans: bare tesseract CLI" in by:
        summarize_scans(by, summary, engine, workers, args.rounds)
    if any(name.startswith("born-digital") for name in by):
        summarize_born_digital(by, summary)
    print(f"load average before/after: {load_before:.2f} / {load_after:.2f}")
    if failures:
        print("failures:\n  " + "\n  ".join(failures))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
