"""Pipeline options: input limits, page-reading thresholds and the OCR engine, from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError
from pipeline.ocr.base import OcrOptions


class Limits(BaseModel):
    """Hard limits on hostile input. Exceeding one is a typed error in the result, never a crash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=200, gt=0)
    # Pixels of one decoded image or rendered page; above it an image is a decompression bomb
    # and a PDF page is rendered at a lower resolution.
    max_pixels: int = Field(default=120_000_000, gt=0)


class ReadingOptions(BaseModel):
    """When a page's text layer is trusted, and how pages are rasterised."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dpi: int = Field(default=300, ge=72, le=600)
    # Fewer printable characters than this over a page mostly covered by images: OCR the page.
    min_text_chars: int = Field(default=30, ge=0)
    image_coverage_for_scan: float = Field(default=0.5, ge=0.0, le=1.0)
    # Share of unreadable characters (U+FFFD, private use, controls) above which the layer is garbage.
    max_garbage_ratio: float = Field(default=0.15, ge=0.0, le=1.0)
    page_image_long_side: int = Field(default=1600, ge=200, le=6000)


class SealOptions(BaseModel):
    """Which pages are searched for seals (cover and signature pages carry them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    all_pages_up_to: int = Field(default=8, ge=0)
    head_pages: int = Field(default=2, ge=0)
    tail_pages: int = Field(default=3, ge=0)
    read_text: bool = True

    def pages(self, count: int) -> list[int]:
        """Indices of the pages to search in a document of ``count`` pages."""
        if not self.enabled:
            return []
        if count <= self.all_pages_up_to:
            return list(range(count))
        head = range(min(self.head_pages, count))
        tail = range(max(0, count - self.tail_pages), count)
        return sorted(set(head) | set(tail))


class PipelineOptions(BaseModel):
    """Everything that changes how a document is read; hashed into the result's cache key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limits: Limits = Limits()
    reading: ReadingOptions = ReadingOptions()
    ocr: OcrOptions = OcrOptions()
    seals: SealOptions = SealOptions()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> PipelineOptions:
        """Read ``EVIDENCE_MAX_BYTES``, ``EVIDENCE_MAX_PAGES``, ``EVIDENCE_MAX_PIXELS``,
        ``EVIDENCE_DPI``, ``EVIDENCE_OCR_ENGINE``, ``EVIDENCE_OCR_LANG`` and ``EVIDENCE_OCR_TIMEOUT``."""
        env = os.environ if env is None else env
        limits = {
            k: env[v]
            for k, v in (
                ("max_bytes", "EVIDENCE_MAX_BYTES"),
                ("max_pages", "EVIDENCE_MAX_PAGES"),
                ("max_pixels", "EVIDENCE_MAX_PIXELS"),
            )
            if v in env
        }
        reading = {"dpi": env["EVIDENCE_DPI"]} if "EVIDENCE_DPI" in env else {}
        ocr = {
            k: env[v]
            for k, v in (
                ("engine", "EVIDENCE_OCR_ENGINE"),
                ("lang", "EVIDENCE_OCR_LANG"),
                ("timeout_s", "EVIDENCE_OCR_TIMEOUT"),
            )
            if v in env
        }
        try:
            opts = cls(limits=Limits(**limits), reading=ReadingOptions(**reading), ocr=OcrOptions(**ocr))  # type: ignore[arg-type]
            return opts.model_copy(update=overrides) if overrides else opts
        except ValidationError as exc:
            raise ConfigError(f"配置无效 invalid pipeline settings in the environment: {exc}") from exc
