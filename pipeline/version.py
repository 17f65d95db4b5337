"""Version strings carried by every result."""

PIPELINE_VERSION = "0.1.0"
SCHEMA_EXTRACTION = "evidence.extraction/1"
SCHEMA_REVIEW = "evidence.review/1"
