"""Sensitive-content screening (issue 5): classification markings, sensitive keywords and personal
identifiers on every page, with page and bbox, masked text, score and explanation.

Built on ``spacy.blank("zh")`` matchers and Presidio-style recognizers; lists are YAML data in
``config/sensitive/``.
"""

from extractors.sensitive.allow import AllowList
from extractors.sensitive.config import SensitiveConfig, load_config
from extractors.sensitive.level import (
    SensitivitySummary,
    sensitivity_level,
    summarize,
    summarize_submission,
)
from extractors.sensitive.screen import screen_document, screen_page, screen_text, screen_text_detailed

__all__ = [
    "AllowList",
    "SensitiveConfig",
    "SensitivitySummary",
    "load_config",
    "screen_document",
    "screen_page",
    "screen_text",
    "screen_text_detailed",
    "sensitivity_level",
    "summarize",
    "summarize_submission",
]
