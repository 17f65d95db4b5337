"""Orchestration-free core of evidence-pipeline: document model, loading, page reading, OCR, runner.

This package never imports Prefect; `flows/` wraps it.
"""

from pipeline.version import PIPELINE_VERSION, SCHEMA_EXTRACTION

__all__ = ["PIPELINE_VERSION", "SCHEMA_EXTRACTION"]
