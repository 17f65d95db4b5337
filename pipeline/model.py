"""Document model: every structure that crosses a boundary (DESIGN.md §7, `evidence.extraction/1`).

Coordinates: a bbox is ``(x0, y0, x1, y1)`` as fractions of the page width/height, origin top-left.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.version import PIPELINE_VERSION, SCHEMA_EXTRACTION

BBox = tuple[float, float, float, float]
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]

TextSource = Literal["text_layer", "ocr", "none"]
DocType = Literal[
    "business_license",
    "authorization_letter",
    "commitment_letter",
    "info_form",
    "disclosure_commitment",
    "contract",
    "application_proof",
    "test_report",
    "compat_certificate",
    "patent_certificate",
    "software_copyright",
    "honor_certificate",
    "other",
    "unknown",
]
ResultStatus = Literal["success", "partial_success", "failure"]


def clamp_bbox(x0: float, y0: float, x1: float, y1: float) -> BBox:
    """Order and clamp a box to the unit square, rounded to 4 decimals."""
    xa, xb = sorted((x0, x1))
    ya, yb = sorted((y0, y1))

    def c(v: float) -> float:
        return round(min(1.0, max(0.0, v)), 4)

    return (c(xa), c(ya), c(xb), c(yb))


def union_bbox(boxes: list[BBox]) -> BBox:
    """Smallest box containing all ``boxes`` (which must not be empty)."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Word(_Model):
    """One word (or one OCR token) on a page, NFKC-normalised."""

    text: str
    bbox: BBox
    confidence: Confidence = 1.0
    block: int = 0
    line: int = 0


class Line(_Model):
    """A reading-order line: words that share a baseline."""

    words: list[Word]

    @property
    def text(self) -> str:
        return join_words(self.words)

    @property
    def bbox(self) -> BBox:
        return union_bbox([w.bbox for w in self.words])

    @property
    def confidence(self) -> float:
        return min((w.confidence for w in self.words), default=0.0)


def join_words(words: list[Word]) -> str:
    """Join words of one line: no space between CJK neighbours, one space between Latin ones."""
    out = ""
    for w in words:
        if out and out[-1].isascii() and out[-1].isalnum() and w.text[:1].isascii() and w.text[:1].isalnum():
            out += " "
        out += w.text
    return out


class PageInfo(_Model):
    """How one page was read."""

    index: int
    text_source: TextSource
    reason: str
    engine: str | None = None
    width: float = 0.0
    height: float = 0.0
    rotation: int = 0
    skew_deg: float = 0.0
    mean_confidence: Confidence | None = None
    char_count: int = 0


class ExtractedField(_Model):
    """A field value with its provenance."""

    name: str
    value: Any
    raw: str | None = None
    confidence: Confidence = 1.0
    page: int | None = None
    bbox: BBox | None = None
    engine: str | None = None
    notes: list[str] = Field(default_factory=list)


class Seal(_Model):
    page: int
    bbox: BBox
    confidence: Confidence
    shape: Literal["round", "oval", "square", "rectangle", "unknown"] = "unknown"
    color: Literal["red", "blue", "grey", "other"] = "red"
    text: str | None = None
    text_confidence: Confidence | None = None
    notes: list[str] = Field(default_factory=list)


class CompatEntry(_Model):
    category: Literal["cpu", "os", "database", "middleware", "other"]
    canonical: str
    name: str
    vendor: str | None = None
    version: str | None = None
    page: int | None = None
    bbox: BBox | None = None
    confidence: Confidence = 1.0


class SensitiveHit(_Model):
    rule: str
    category: str
    severity: Literal["high", "medium", "low"]
    text: str
    page: int | None = None
    bbox: BBox | None = None
    context: str = ""
    score: Confidence = 1.0
    explanation: list[str] = Field(default_factory=list)


class ErrorItem(_Model):
    code: str
    message: str
    page: int | None = None


class DocumentInfo(_Model):
    name: str
    sha256: str
    media_type: str | None = None
    size_bytes: int = 0
    pages: int = 0
    doc_type: DocType = "unknown"
    doc_type_confidence: Confidence = 0.0
    declared_category: str | None = None
    notes: list[str] = Field(default_factory=list)


class ExtractionResult(BaseModel):
    """One document's extraction result, `evidence.extraction/1`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: str = Field(default=SCHEMA_EXTRACTION, alias="schema")
    pipeline_version: str = PIPELINE_VERSION
    # Hash of the options and data files that shape extraction (pipeline.config_hash): a result
    # with another hash is stale, not wrong.
    config_hash: str | None = None
    status: ResultStatus = "success"
    document: DocumentInfo
    pages: list[PageInfo] = Field(default_factory=list)
    fields: list[ExtractedField] = Field(default_factory=list)
    seals: list[Seal] = Field(default_factory=list)
    compatibility: list[CompatEntry] = Field(default_factory=list)
    sensitive: list[SensitiveHit] = Field(default_factory=list)
    errors: list[ErrorItem] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)

    @field_validator("schema_")
    @classmethod
    def _known_schema(cls, v: str) -> str:
        if not v.startswith("evidence.extraction/"):
            raise ValueError(f"not an extraction result schema: {v!r}")
        return v

    def to_json(self, *, indent: int | None = None) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)

    def field_values(self, name: str) -> list[Any]:
        """All values extracted for ``name`` in page order."""
        return [f.value for f in self.fields if f.name == name]

    def first(self, name: str) -> ExtractedField | None:
        """The most confident field called ``name``, or None."""
        cands = [f for f in self.fields if f.name == name]
        return max(cands, key=lambda f: f.confidence) if cands else None
