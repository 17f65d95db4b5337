"""The 信创 product catalogue (``config/compat_catalogue.yaml``) validated by pydantic at load.

The YAML groups products by family (shared category, vendor and version-less names); this module
validates it and flattens it into :class:`Product` records (id, category, vendor, family, version,
names, aliases), plus :class:`Family` and :class:`Group` records for family- and brand-level names.
The loaded catalogue is cached per file.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.yamlio import load_yaml

Category = Literal["cpu", "os", "database", "middleware"]
CATEGORIES: tuple[Category, ...] = ("cpu", "os", "database", "middleware")

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "config" / "compat_catalogue.yaml"

_ID = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
_WS = re.compile(r"\s+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Vendor(_Strict):
    """A vendor's Chinese and English name."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Settings(_Strict):
    """Matching parameters (see the catalogue header)."""

    max_errors: int = Field(ge=0, le=2)
    fuzzy_min_len: int = Field(ge=3)
    version_gap: int = Field(ge=0, le=20)
    context_window: int = Field(ge=0, le=60)
    header_lines: int = Field(ge=0, le=20)
    min_score: float = Field(ge=0.0, le=1.0)
    strong_score: float = Field(ge=0.0, le=1.0)
    weak_score: float = Field(ge=0.0, le=1.0)
    version_boost: float = Field(ge=0.0, le=1.0)
    context_boost: float = Field(ge=0.0, le=1.0)
    generic_boost: float = Field(ge=0.0, le=1.0)
    company_penalty: float = Field(ge=0.0, le=1.0)
    fuzzy_penalty: float = Field(ge=0.0, le=1.0)
    drop_chars: str
    separators: str
    descriptors: list[str]
    context: dict[Category, list[str]]
    generic_context: list[str]
    company_suffixes: list[str]

    @field_validator("descriptors", "generic_context", "company_suffixes")
    @classmethod
    def _non_empty_words(cls, v: list[str]) -> list[str]:
        if any(not str(w).strip() for w in v):
            raise ValueError("empty word in list")
        return [str(w) for w in v]


class ProductSpec(_Strict):
    """One product as written in the YAML (inside its family)."""

    id: str
    version: str | None = None
    names: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    tokens: list[str] = Field(default_factory=list)


class FamilySpec(_Strict):
    """A product family as written in the YAML."""

    family: str
    category: Category
    vendor: Vendor
    names: list[str] = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    weak_aliases: list[str] = Field(default_factory=list)
    products: list[ProductSpec] = Field(min_length=1)


class Group(_Strict):
    """A brand name covering several families (e.g. 银河麒麟: server and desktop editions)."""

    id: str
    default: str
    families: list[str] = Field(min_length=2)
    names: list[str] = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    weak_aliases: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _default_in_families(self) -> Group:
        if self.default not in self.families:
            raise ValueError(f"group {self.id}: default {self.default!r} not among its families")
        return self


class Product(_Strict):
    """A catalogue product (one version/model of a family)."""

    id: str
    category: Category
    vendor: Vendor
    family: str
    version: str | None
    names: list[str]
    aliases: list[str]
    tokens: list[str]

    @property
    def name(self) -> str:
        """The official name (first of ``names``)."""
        return self.names[0]


class Family(_Strict):
    """A product family with its version-less names and its products' ids."""

    id: str
    category: Category
    vendor: Vendor
    names: list[str]
    aliases: list[str]
    weak_aliases: list[str]
    products: list[str]
    group: str | None = None


class CatalogueFile(_Strict):
    """The whole YAML file."""

    settings: Settings
    groups: list[Group] = Field(default_factory=list)
    families: list[FamilySpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> CatalogueFile:
        seen_products: set[str] = set()
        family_ids: set[str] = set()
        for fam in self.families:
            if not _ID.match(fam.family):
                raise ValueError(f"family id not lowercase-hyphen: {fam.family!r}")
            if fam.family in family_ids:
                raise ValueError(f"duplicate family {fam.family!r}")
            family_ids.add(fam.family)
            for p in fam.products:
                if not _ID.match(p.id):
                    raise ValueError(f"product id not lowercase-hyphen: {p.id!r}")
                if p.id in seen_products:
                    raise ValueError(f"duplicate product {p.id!r}")
                seen_products.add(p.id)
                if p.version is None and len(fam.products) > 1:
                    raise ValueError(f"{p.id}: only a family's single product may have no version")
                if p.version is None and p.id != fam.family:
                    raise ValueError(f"{p.id}: a version-less product takes its family's id")
        grouped: set[str] = set()
        for g in self.groups:
            if g.id in family_ids:
                raise ValueError(f"group id {g.id!r} is also a family id")
            for f in g.families:
                if f not in family_ids:
                    raise ValueError(f"group {g.id}: unknown family {f!r}")
                if f in grouped:
                    raise ValueError(f"family {f!r} in two groups")
                grouped.add(f)
        return self


class Catalogue:
    """Validated, flattened catalogue with lookups by id."""

    def __init__(self, data: CatalogueFile) -> None:
        self.settings = data.settings
        self.groups: dict[str, Group] = {g.id: g for g in data.groups}
        group_of = {f: g.id for g in data.groups for f in g.families}
        self.families: dict[str, Family] = {}
        self.products: dict[str, Product] = {}
        for fs in data.families:
            self.families[fs.family] = Family(
                id=fs.family,
                category=fs.category,
                vendor=fs.vendor,
                names=fs.names,
                aliases=fs.aliases,
                weak_aliases=fs.weak_aliases,
                products=[p.id for p in fs.products],
                group=group_of.get(fs.family),
            )
            for ps in fs.products:
                self.products[ps.id] = Product(
                    id=ps.id,
                    category=fs.category,
                    vendor=fs.vendor,
                    family=fs.family,
                    version=ps.version,
                    names=ps.names or [f"{fs.names[0]}{ps.version or ''}"],
                    aliases=ps.aliases,
                    tokens=ps.tokens or ([ps.version] if ps.version else []),
                )

    def family_products(self, family: str) -> list[Product]:
        """The products of ``family`` in catalogue order."""
        return [self.products[p] for p in self.families[family].products]

    def count_by_category(self) -> dict[str, int]:
        """Number of products per category."""
        out: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
        for p in self.products.values():
            out[p.category] += 1
        return out


def normalize_text(text: str, drop_chars: str = "") -> str:
    """The matching form of a name: NFKC, case-folded, without whitespace and ``drop_chars``.

    >>> normalize_text("FT-2000+/64", "-")
    'ft2000+/64'
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in _WS.sub("", folded) if c not in drop_chars)


def load_catalogue_uncached(path: str | Path | None = None) -> Catalogue:
    """Read and validate the catalogue YAML (default ``config/compat_catalogue.yaml``)."""
    p = Path(path) if path is not None else DEFAULT_PATH
    with p.open(encoding="utf-8") as fh:
        raw = load_yaml(fh)
    return Catalogue(CatalogueFile.model_validate(raw))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Catalogue:
    return load_catalogue_uncached(path)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The validated catalogue (cached per file)."""
    return _load_cached(str(Path(path).resolve()) if path is not None else str(DEFAULT_PATH))
