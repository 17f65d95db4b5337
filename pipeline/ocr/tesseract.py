"""Tesseract OCR engine (via pytesseract ``image_to_data``), registered as ``tesseract``.

Tesseract runs with ``OMP_THREAD_LIMIT=1``: its OpenMP threads only contend with each other and
with other workers on a small machine (about 5x faster here than the default).
"""

from __future__ import annotations

import functools
import os
import shutil
import unicodedata
from typing import Any

import cv2
import numpy as np
import pytesseract

from pipeline.errors import OcrEngineUnavailableError, OcrError, OcrTimeoutError
from pipeline.model import Word, clamp_bbox
from pipeline.ocr.base import OcrOptions, register_engine

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

_INSTALL_HINT = "install it with `apt-get install tesseract-ocr tesseract-ocr-chi-sim`"


@functools.lru_cache(maxsize=1)
def tesseract_version() -> str:
    """The installed Tesseract version, e.g. ``5.3.0``; raises ``OcrEngineUnavailableError``."""
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError:
        raise OcrEngineUnavailableError(
            f"Tesseract 未安装 is not installed or not on PATH ({pytesseract.pytesseract.tesseract_cmd!r}); "
            f"{_INSTALL_HINT}"
        ) from None


class TesseractEngine:
    """Reads words from an upright grayscale/binary page image with Tesseract."""

    def __init__(self, options: OcrOptions | None = None) -> None:
        self.options = options or OcrOptions()

    @property
    def name(self) -> str:
        """``tesseract <version>``, recorded as provenance."""
        return f"tesseract {tesseract_version()}"

    @property
    def config(self) -> str:
        """The command-line options passed to Tesseract."""
        return f"--oem {self.options.oem} --psm {self.options.psm}"

    def recognize(self, image: np.ndarray) -> list[Word]:
        """OCR ``image`` (uint8, grayscale or binary; BGR is converted) into words.

        Bboxes are fractions of ``image``; words of one text line share ``(block, line)``."""
        gray = _as_gray(image)
        data = self._run(gray)
        return words_from_data(
            data,
            width=gray.shape[1],
            height=gray.shape[0],
            min_confidence=self.options.min_word_confidence,
        )

    def _run(self, gray: np.ndarray) -> dict[str, list[Any]]:
        lang = self.options.lang
        try:
            result: dict[str, list[Any]] = pytesseract.image_to_data(
                gray,
                lang=lang,
                config=self.config,
                output_type=pytesseract.Output.DICT,
                timeout=self.options.timeout_s,
            )
        except pytesseract.TesseractNotFoundError:
            raise OcrEngineUnavailableError(f"Tesseract 未安装 is not installed; {_INSTALL_HINT}") from None
        except pytesseract.TesseractError as e:
            msg = str(e.message)
            if "Failed loading language" in msg or "couldn't load any languages" in msg:
                raise OcrEngineUnavailableError(
                    f"Tesseract 缺少语言数据 has no language data for {lang!r}; install it with "
                    f"`apt-get install {_apt_packages(lang)}` (or set TESSDATA_PREFIX); "
                    f"installed: {_installed_langs()}"
                ) from None
            raise OcrError(f"Tesseract 识别失败 failed (status {e.status}): {msg[:300]}") from None
        except RuntimeError as e:
            if "timeout" in str(e).lower():
                raise OcrTimeoutError(
                    f"Tesseract 超时 did not finish within {self.options.timeout_s:g} s; raise timeout_s "
                    "or check the page image size"
                ) from None
            raise OcrError(f"Tesseract 识别失败 failed: {e}") from None
        return result


def words_from_data(
    data: dict[str, list[Any]], *, width: int, height: int, min_confidence: float = 0.0
) -> list[Word]:
    """Convert pytesseract ``image_to_data`` output (``Output.DICT``) into ``Word`` objects.

    ``block`` is Tesseract's block number; ``line`` numbers the (block, paragraph, line) triples in
    reading order, so it is unique on the page."""
    words: list[Word] = []
    line_ids: dict[tuple[int, int, int], int] = {}
    for i, raw in enumerate(data["text"]):
        conf = float(data["conf"][i])
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if conf < 0 or not text:
            continue
        confidence = min(1.0, conf / 100.0)
        if confidence < min_confidence:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        line = line_ids.setdefault(key, len(line_ids))
        x, y = int(data["left"][i]), int(data["top"][i])
        w, h = int(data["width"][i]), int(data["height"][i])
        bbox = clamp_bbox(x / width, y / height, (x + w) / width, (y + h) / height)
        words.append(Word(text=text, bbox=bbox, confidence=confidence, block=key[0], line=line))
    return words


def _as_gray(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise OcrError("OCR 输入无效 invalid OCR input: expected a non-empty numpy image")
    if image.dtype != np.uint8:
        raise OcrError(f"OCR 输入无效 invalid OCR input: expected uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise OcrError(f"OCR 输入无效 invalid OCR input: unsupported image shape {image.shape}")


def _apt_packages(lang: str) -> str:
    return " ".join(f"tesseract-ocr-{part.replace('_', '-').lower()}" for part in lang.split("+"))


def _installed_langs() -> str:
    if shutil.which(str(pytesseract.pytesseract.tesseract_cmd)) is None:
        return "unknown"
    try:
        return ", ".join(sorted(pytesseract.get_languages(config=""))) or "none"
    except Exception:  # only used to enrich an error message
        return "unknown"


register_engine("tesseract", TesseractEngine)
