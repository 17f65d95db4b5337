"""In-memory page content handed from page reading to the extractors (not serialised)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.layout import group_lines
from pipeline.model import BBox, Line, PageInfo, Word


@dataclass
class PageContent:
    """One read page: its words (reading order), how it was read, and its image when rendered.

    ``image`` is the page as an upright BGR array (after orientation correction) when the page was
    rasterised (OCR pages always; text-layer pages only when an extractor asks for it)."""

    index: int
    info: PageInfo
    words: list[Word]
    image: np.ndarray | None = None
    # Renders the page on demand (text-layer pages keep no image in memory).
    image_loader: Callable[[], np.ndarray] | None = field(default=None, repr=False, compare=False)
    # Renders a region (page fractions, None = whole page) with its long side near a pixel size,
    # for vector pages: callers that need a small overview or a sharp crop ask for exactly that.
    region_renderer: Callable[[BBox | None, int], np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )
    # For vector pages: whether the page paints anything a seal could be (a raster image, an
    # annotation, or vector paint in a saturated colour); False means it certainly shows no seal.
    may_show_stamp: Callable[[], bool] | None = field(default=None, repr=False, compare=False)

    _lines: list[Line] | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> list[Line]:
        """Visual lines (geometric grouping, see ``pipeline.layout``), computed once."""
        if self._lines is None:
            self._lines = group_lines(self.words)
        return self._lines

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)

    def get_image(self) -> np.ndarray | None:
        """The page as an upright BGR image matching the word boxes, rendered if needed."""
        if self.image is not None:
            return self.image
        return self.image_loader() if self.image_loader is not None else None


@dataclass
class DocumentContent:
    """A loaded and read document."""

    name: str
    sha256: str
    media_type: str
    pages: list[PageContent] = field(default_factory=list)
    declared_category: str | None = None
    # The uploaded bytes when the document is a PDF (for table extraction with pdfplumber).
    source_pdf: bytes | None = field(default=None, repr=False)
    # Derived data that several extractors ask for (tables, ...), computed once per document.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str:
        return "\n\f".join(p.text for p in self.pages)
