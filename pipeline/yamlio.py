"""YAML reading for configuration and declared data: safe loading only, with libyaml's C parser
when PyYAML was built with it (about ten times faster on the product catalogue)."""

from __future__ import annotations

from typing import IO, Any

import yaml

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(source: str | bytes | IO[str] | IO[bytes]) -> Any:
    """Parse one YAML document safely (no arbitrary objects); like ``yaml.safe_load``."""
    return yaml.load(source, Loader=_SafeLoader)
