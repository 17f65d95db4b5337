"""Geometric line grouping, the same for text-layer and OCR words.

Words are grouped into visual lines by vertical overlap, then a line is cut where the horizontal
gap is much wider than the text height (two columns, or a label far from its value stays whole
only when the gap is moderate)."""

from __future__ import annotations

from statistics import median

from pipeline.model import Line, Word

GAP_FACTOR = 4.0  # a gap wider than this many text heights starts a new segment


def group_lines(words: list[Word], *, gap_factor: float = GAP_FACTOR) -> list[Line]:
    """Visual lines in reading order (top to bottom, then left to right)."""
    if not words:
        return []
    rows: list[list[Word]] = []
    spans: list[tuple[float, float]] = []
    for w in sorted(words, key=lambda w: ((w.bbox[1] + w.bbox[3]) / 2, w.bbox[0])):
        y0, y1 = w.bbox[1], w.bbox[3]
        h = max(y1 - y0, 1e-6)
        placed = False
        if rows:
            r0, r1 = spans[-1]
            overlap = min(r1, y1) - max(r0, y0)
            if overlap >= 0.5 * min(h, r1 - r0):
                rows[-1].append(w)
                spans[-1] = (min(r0, y0), max(r1, y1))
                placed = True
        if not placed:
            rows.append([w])
            spans.append((y0, y1))
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda w: w.bbox[0])
        height = median(w.bbox[3] - w.bbox[1] for w in row)
        seg = [row[0]]
        for w in row[1:]:
            if w.bbox[0] - seg[-1].bbox[2] > gap_factor * height:
                lines.append(Line(words=seg))
                seg = [w]
            else:
                seg.append(w)
        lines.append(Line(words=seg))
    return lines
