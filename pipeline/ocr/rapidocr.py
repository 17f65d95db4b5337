"""RapidOCR engine (PP-OCRv4 detection + recognition on onnxruntime), registered as ``rapidocr``.

Optional: install with ``pip install --no-deps rapidocr-onnxruntime`` plus its requirements except
``opencv-python`` (the project uses ``opencv-python-headless``, which provides the same ``cv2``);
see the ``[rapidocr]`` extra. The models ship inside the wheel, so it runs offline.

RapidOCR reads whole text lines. Each detected line becomes its own ``(block, line)`` and is split
into words at its spaces only: a CJK run stays one word (``LineIndex.bbox_for`` cuts a word's box
proportionally, which is what a per-character split would do anyway), so a label and its value in
the same box stay on one line and the label/value extractors see one compact string. The line's
score is the confidence of each of its words.

The onnxruntime sessions are built once per process (lazily, on the first ``recognize``) and run
with one intra-op thread unless told otherwise: on a small machine the workers are processes, and
more threads per process only contend.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import os
import threading
import unicodedata
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from pipeline.errors import OcrEngineUnavailableError, OcrError
from pipeline.model import Word, clamp_bbox
from pipeline.ocr.base import OcrOptions, register_engine

_INSTALL_HINT = (
    "install it with `pip install --no-deps rapidocr-onnxruntime` and "
    "`pip install onnxruntime pyclipper shapely six PyYAML tqdm` "
    "(keep opencv-python-headless; do not let pip add opencv-python)"
)
THREADS_ENV = "EVIDENCE_RAPIDOCR_THREADS"
"""Environment variable overriding the onnxruntime intra-op threads per process (default 1)."""
DEFAULT_MAX_SIDE = 1600
"""RapidOCR scales a page down to this long side first (its own default is 2000; 1600 measured
faster and more accurate on our licences and scans, see bench/engines.py)."""

_lock = threading.Lock()


def rapidocr_version() -> str:
    """The installed rapidocr-onnxruntime version; raises ``OcrEngineUnavailableError``."""
    try:
        return importlib.metadata.version("rapidocr-onnxruntime")
    except importlib.metadata.PackageNotFoundError:
        raise OcrEngineUnavailableError(f"RapidOCR 未安装 is not installed; {_INSTALL_HINT}") from None


@functools.lru_cache(maxsize=4)
def _reader(threads: int, max_side: int, use_cls: bool) -> Any:
    """One RapidOCR object per configuration and process (the onnx sessions load in ~1 s)."""
    try:
        module = importlib.import_module("rapidocr_onnxruntime")
    except ImportError as e:
        raise OcrEngineUnavailableError(
            f"RapidOCR 无法导入 cannot be imported ({e}); {_INSTALL_HINT}"
        ) from None
    try:
        return module.RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            max_side_len=max_side,
            use_cls=use_cls,
        )
    except Exception as e:  # model files missing/corrupt, onnxruntime failure
        raise OcrEngineUnavailableError(
            f"RapidOCR 初始化失败 failed to start ({type(e).__name__}: {str(e)[:200]}); {_INSTALL_HINT}"
        ) from None


def _default_threads() -> int:
    raw = os.environ.get(THREADS_ENV, "1")
    try:
        return max(1, int(raw))
    except ValueError:
        return 1


class RapidOcrEngine:
    """Reads text lines from an upright page image with RapidOCR.

    ``wants_binarized`` is False: on real licence photos RapidOCR read as many or more credit codes
    from the background-normalised grayscale than from the Otsu-binarised page (18 vs 16-18 of 19),
    and much better than from the colour page, where seals interfere (see ``bench/engines.py``).
    Binary input still works; the difference is small."""

    wants_binarized = False

    def __init__(
        self,
        options: OcrOptions | None = None,
        *,
        threads: int | None = None,
        max_side: int = DEFAULT_MAX_SIDE,
        use_cls: bool = False,
    ) -> None:
        self.options = options or OcrOptions(engine="rapidocr")
        self.threads = threads if threads is not None else _default_threads()
        self.max_side = max_side
        self.use_cls = use_cls  # per-line 180° classifier; pages arrive upright, so off by default

    @property
    def name(self) -> str:
        """``rapidocr <version>``, recorded as provenance."""
        return f"rapidocr {rapidocr_version()}"

    def recognize(self, image: np.ndarray) -> list[Word]:
        """OCR ``image`` (uint8 grayscale, binary, BGR or BGRA) into words.

        Bboxes are fractions of ``image``; each detected text line has its own ``(block, line)``."""
        bgr = _as_bgr(image)
        h, w = bgr.shape[:2]
        if min(h, w) < _MIN_TEXT_PX:
            return []  # too thin to hold a line of text
        bgr = _pad_short_side(bgr, self.max_side)
        reader = _reader(self.threads, self.max_side, self.use_cls)
        try:
            with _lock:
                result, _elapsed = reader(bgr)
        except MemoryError:
            raise OcrError("RapidOCR 内存不足 ran out of memory; reduce the page image size") from None
        except Exception as e:  # onnxruntime/cv2 errors have no common base class
            raise OcrError(f"RapidOCR 识别失败 failed ({type(e).__name__}: {str(e)[:200]})") from None
        return words_from_result(
            result or [], width=w, height=h, min_confidence=self.options.min_word_confidence
        )

    def recognize_line(self, image: np.ndarray) -> tuple[str, float]:
        """Read ``image`` as one text line with the recognition model alone (no detection).

        For images that are already a single line, such as a seal's unwrapped ring: detection on
        a long strip letterboxes it into a large square canvas and costs ~1.7 s, recognition alone
        ~0.1 s. Returns the NFKC-normalised text and its score ("" and 0.0 when nothing is read)."""
        bgr = _as_bgr(image)
        if min(bgr.shape[:2]) < _MIN_TEXT_PX:
            return "", 0.0
        reader = _reader(self.threads, self.max_side, self.use_cls)
        try:
            with _lock:
                result, _elapsed = reader(bgr, use_det=False, use_cls=False, use_rec=True)
        except MemoryError:
            raise OcrError("RapidOCR 内存不足 ran out of memory; reduce the image size") from None
        except Exception as e:  # onnxruntime/cv2 errors have no common base class
            raise OcrError(f"RapidOCR 识别失败 failed ({type(e).__name__}: {str(e)[:200]})") from None
        if not result:
            return "", 0.0
        text = "".join(unicodedata.normalize("NFKC", str(r[0])).strip() for r in result)
        scores = [float(r[1]) for r in result if np.isfinite(float(r[1]))]
        return text, (min(1.0, max(0.0, float(np.mean(scores)))) if scores and text else 0.0)

    def recognize_line_chars(self, image: np.ndarray) -> list[tuple[str, float]]:
        """Like :meth:`recognize_line`, but each character with its own score (the recogniser's
        probability of it; :meth:`recognize_line`'s score is their mean), the text the same as
        :meth:`recognize_line`'s. A character that NFKC turns into several keeps its score on
        each. Empty when nothing is read."""
        bgr = _as_bgr(image)
        if min(bgr.shape[:2]) < _MIN_TEXT_PX:
            return []
        reader = _reader(self.threads, self.max_side, self.use_cls)
        try:
            with _lock:  # as ``reader(bgr, use_det=False, ...)`` does, keeping the per-character scores
                img, _rh, _rw = reader.preprocess(reader.load_img(bgr))
                result, _elapsed = reader.text_rec(img, True)
        except MemoryError:
            raise OcrError("RapidOCR 内存不足 ran out of memory; reduce the image size") from None
        except Exception as e:  # onnxruntime/cv2 errors have no common base class
            raise OcrError(f"RapidOCR 识别失败 failed ({type(e).__name__}: {str(e)[:200]})") from None
        out: list[tuple[str, float]] = []
        for rec in result or []:
            text = str(rec[0])
            scores = list(rec[2][4]) if len(rec) > 2 and len(rec[2]) > 4 else []
            if len(scores) != len(text):  # decoder output not aligned: the line score for each
                scores = [float(rec[1])] * len(text)
            chars: list[tuple[str, float]] = []
            for ch, score in zip(text, scores, strict=True):
                s = float(score)
                s = min(1.0, max(0.0, s)) if np.isfinite(s) else 0.0
                chars.extend((c, s) for c in unicodedata.normalize("NFKC", ch))
            while chars and chars[0][0].isspace():
                chars.pop(0)
            while chars and chars[-1][0].isspace():
                chars.pop()
            out.extend(chars)
        return out


def upside_down_score(lines: Sequence[np.ndarray], *, threads: int | None = None) -> float:
    """How upside down text lines are, from RapidOCR's 0°/180° direction classifier: the mean over
    line pieces of +score for "180" and -score for "0" (+1 all turned, -1 all upright, 0 unsure).

    The classifier's input is 48 x 192 pixels, so each line is cut into pieces about four times as
    wide as high (a whole line squeezed to that width is judged poorly); pieces with almost no ink
    are skipped. Returns 0.0 when there is nothing to judge."""
    pieces: list[np.ndarray] = []
    for line in lines:
        bgr = _as_bgr(line)
        h, w = bgr.shape[:2]
        if h < _MIN_TEXT_PX:
            continue
        step = 4 * h
        for x in range(0, max(1, w - step // 2), step):
            piece = bgr[:, x : x + step]
            if int((piece[..., 0] < 128).sum()) > h:
                pieces.append(piece)
    if not pieces:
        return 0.0
    reader = _reader(threads if threads is not None else _default_threads(), DEFAULT_MAX_SIDE, False)
    try:
        with _lock:
            _imgs, results, _elapsed = reader.text_cls(pieces)
    except Exception as e:  # onnxruntime/cv2 errors have no common base class
        raise OcrError(f"RapidOCR 方向判断失败 direction check failed ({type(e).__name__})") from None
    signed = [(float(score) if "180" in str(label) else -float(score)) for label, score in results]
    return float(np.mean(signed)) if signed else 0.0


def words_from_result(
    result: Sequence[Sequence[Any]], *, width: int, height: int, min_confidence: float = 0.0
) -> list[Word]:
    """Convert RapidOCR output (``[[quad, text, score], ...]``) into ``Word`` objects.

    A line is split at whitespace; each part gets the slice of the line's box proportional to its
    characters (spaces counted), the line's full height and the line's score."""
    words: list[Word] = []
    line_no = 0
    for item in result:
        try:
            quad, raw_text, raw_score = item[0], item[1], item[2]
            pts = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
            score = float(raw_score)
        except (TypeError, ValueError, IndexError):
            continue
        text = unicodedata.normalize("NFKC", str(raw_text)).strip()
        if not text or pts.shape[0] < 1 or not np.all(np.isfinite(pts)) or not np.isfinite(score):
            continue
        confidence = min(1.0, max(0.0, score))
        if confidence < min_confidence:
            continue
        x0, y0 = float(pts[:, 0].min()), float(pts[:, 1].min())
        x1, y1 = float(pts[:, 0].max()), float(pts[:, 1].max())
        n = len(text)
        pos = 0
        for part in text.split():
            start = text.index(part, pos)
            end = start + len(part)
            pos = end
            a = x0 + (x1 - x0) * start / n
            b = x0 + (x1 - x0) * end / n
            bbox = clamp_bbox(a / width, y0 / height, b / width, y1 / height)
            words.append(Word(text=part, bbox=bbox, confidence=confidence, block=line_no, line=line_no))
        line_no += 1
    return words


_MIN_TEXT_PX = 8
_MIN_SIDE = 32  # RapidOCR upscales images whose short side is below 30 px (after its downscaling)


def _pad_short_side(bgr: np.ndarray, max_side: int) -> np.ndarray:
    """Pad a very elongated image with white at the bottom/right so that RapidOCR's own resizing
    (down to ``max_side``, then *up* to a 30 px short side) cannot blow it up to a huge canvas.
    The top-left origin is unchanged, so box coordinates stay valid."""
    h, w = bgr.shape[:2]
    down = max(1.0, max(h, w) / max_side)
    need = int(np.ceil(_MIN_SIDE * down))
    if min(h, w) >= need:
        return bgr
    pad_h, pad_w = (need - h, 0) if h < w else (0, need - w)
    return cv2.copyMakeBorder(
        bgr, 0, max(0, pad_h), 0, max(0, pad_w), cv2.BORDER_CONSTANT, value=(255, 255, 255)
    )


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise OcrError("OCR 输入无效 invalid OCR input: expected a non-empty numpy image")
    if image.dtype != np.uint8:
        raise OcrError(f"OCR 输入无效 invalid OCR input: expected uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    raise OcrError(f"OCR 输入无效 invalid OCR input: unsupported image shape {image.shape}")


def _factory(options: OcrOptions) -> RapidOcrEngine:
    if importlib.util.find_spec("rapidocr_onnxruntime") is None:
        raise OcrEngineUnavailableError(f"RapidOCR 未安装 is not installed; {_INSTALL_HINT}")
    return RapidOcrEngine(options)


register_engine("rapidocr", _factory)
