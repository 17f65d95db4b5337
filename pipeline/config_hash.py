"""A stable hash of everything that changes what extraction produces.

Work is keyed by ``(content sha256, pipeline version, config hash)``: a result made under another
pipeline version or another config hash is *stale* (still readable, re-made by
``evidence reprocess --stale``), never wrong.

The hash covers
- the ``PipelineOptions`` in effect (limits, reading thresholds, OCR engine and its options, seal
  search), as canonical JSON, and
- the content of every YAML file under ``config/`` that the extractors read (all of them except
  the review-only files in ``REVIEW_ONLY``: rule parameters change findings, not extraction).

It does not cover the Tesseract binary's version (the engine *name* is in the options); a new
Tesseract should come with a new pipeline version.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from pipeline.options import PipelineOptions

#: ``config/`` of this checkout.
CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

#: Files under ``config/`` read only by the validators (they change findings, not extraction).
REVIEW_ONLY = frozenset({"campaign.yaml", "regions.yaml"})

#: Length of the hex digest kept (64 bits: plenty to tell configurations apart).
HASH_LENGTH = 16

_file_cache: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def extraction_config_files(config_dir: Path = CONFIG_DIR) -> list[Path]:
    """The YAML files under ``config_dir`` that extraction reads, sorted by relative path."""
    files = [
        p
        for p in config_dir.rglob("*")
        if p.is_file()
        and p.suffix in (".yaml", ".yml")
        and p.relative_to(config_dir).as_posix() not in REVIEW_ONLY
    ]
    return sorted(files, key=lambda p: p.relative_to(config_dir).as_posix())


def _file_digest(path: Path) -> str:
    st = path.stat()
    cache_key = (str(path), st.st_size, st.st_mtime_ns)
    with _lock:
        cached = _file_cache.get(cache_key)
    if cached is not None:
        return cached
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with _lock:
        _file_cache[cache_key] = digest
    return digest


def config_fingerprint(
    options: PipelineOptions | None = None, config_dir: Path = CONFIG_DIR
) -> dict[str, object]:
    """What the hash is made of (for ``--dry-run`` explanations and debugging)."""
    opts = options if options is not None else PipelineOptions.from_env()
    return {
        "options": opts.model_dump(mode="json"),
        "files": {
            p.relative_to(config_dir).as_posix(): _file_digest(p) for p in extraction_config_files(config_dir)
        },
    }


def config_hash(options: PipelineOptions | None = None, config_dir: Path = CONFIG_DIR) -> str:
    """The configuration hash (16 hex digits) for ``options`` (default: from the environment).

    Stable across processes and machines: canonical JSON (sorted keys, no whitespace) of the
    options and the SHA-256 of each extraction config file."""
    canonical = json.dumps(
        config_fingerprint(options, config_dir), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]
