"""The OCR engine interface. Callers depend on this module only; engines register by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import ConfigError
from pipeline.model import Word


class OcrOptions(BaseModel):
    """Typed engine options; unknown keys are refused so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: str = "tesseract"
    lang: str = "chi_sim"
    psm: int = Field(default=6, ge=0, le=13)
    oem: int = Field(default=1, ge=0, le=3)
    timeout_s: float = Field(default=120.0, gt=0)
    min_word_confidence: float = Field(default=0.0, ge=0.0, le=1.0)


class OcrEngine(Protocol):
    """Reads words from one upright page image.

    ``recognize`` takes a grayscale or binary uint8 image and returns words whose ``bbox`` is in
    fractions of that image, ``confidence`` in 0..1, and ``block``/``line`` ids grouping words into
    lines. It raises ``pipeline.errors.OcrError`` (or a subclass) on failure."""

    @property
    def name(self) -> str:
        """Engine name with version, e.g. ``tesseract 5.3.0`` (recorded as provenance)."""
        ...

    def recognize(self, image: np.ndarray) -> list[Word]: ...


EngineFactory = Callable[[OcrOptions], OcrEngine]
_REGISTRY: dict[str, EngineFactory] = {}


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make an engine available under ``name`` (``--engine NAME``)."""
    _REGISTRY[name] = factory


def available_engines() -> list[str]:
    _load_builtin_engines()
    return sorted(_REGISTRY)


def get_engine(options: OcrOptions) -> OcrEngine:
    """Instantiate the engine named in ``options``; a ``ConfigError`` lists the known names."""
    _load_builtin_engines()
    try:
        factory = _REGISTRY[options.engine]
    except KeyError:
        raise ConfigError(
            f"未知的 OCR 引擎 unknown OCR engine {options.engine!r}; choose one of {sorted(_REGISTRY)}"
        ) from None
    return factory(options)


def _load_builtin_engines() -> None:
    # Imported lazily so that a missing optional engine never breaks the others.
    import importlib

    for module in _BUILTIN_ENGINE_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            continue


_BUILTIN_ENGINE_MODULES = ("pipeline.ocr.tesseract", "pipeline.ocr.rapidocr")
