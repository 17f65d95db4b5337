"""In-memory page content handed from page reading to the extractors (not serialised)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.model import Line, PageInfo, Word


@dataclass
class PageContent:
    """One read page: its words (reading order), how it was read, and its image when rendered.

    ``image`` is the page as an upright BGR array (after orientation correction) when the page was
    rasterised (OCR pages always; text-layer pages only when an extractor asks for it)."""

    index: int
    info: PageInfo
    words: list[Word]
    image: np.ndarray | None = None

    @property
    def lines(self) -> list[Line]:
        groups: dict[tuple[int, int], list[Word]] = {}
        for w in self.words:
            groups.setdefault((w.block, w.line), []).append(w)
        lines = [Line(words=sorted(ws, key=lambda w: w.bbox[0])) for ws in groups.values()]
        return sorted(lines, key=lambda ln: (round(ln.bbox[1], 2), ln.bbox[0]))

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)


@dataclass
class DocumentContent:
    """A loaded and read document."""

    name: str
    sha256: str
    media_type: str
    pages: list[PageContent] = field(default_factory=list)
    declared_category: str | None = None

    @property
    def text(self) -> str:
        return "\n\f".join(p.text for p in self.pages)
