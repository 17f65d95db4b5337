"""The declared data of one submission (`declared.yaml`, DESIGN.md §7), validated."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import InputError
from pipeline.yamlio import load_yaml


class DeclaredDataError(InputError):
    code = "declared_invalid"


class Contact(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    phone: str | None = None
    email: str | None = None


class Applicant(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    uscc: str | None = None
    address: str | None = None
    legal_representative: str | None = None
    contact: Contact = Contact()


class Adapted(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cpu: list[str] = Field(default_factory=list)
    os: list[str] = Field(default_factory=list)
    database: list[str] = Field(default_factory=list)
    middleware: list[str] = Field(default_factory=list)

    def items(self) -> list[tuple[str, str]]:
        """(category, declared text) pairs."""
        return [(cat, text) for cat in ("cpu", "os", "database", "middleware") for text in getattr(self, cat)]


class Solution(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    region: str | None = None
    industries: list[str] = Field(default_factory=list)
    scenarios: list[str] = Field(default_factory=list)
    adapted: Adapted = Adapted()
    texts: dict[str, str | None] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)


class Material(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file: str
    category: str | None = None


class Declared(BaseModel):
    model_config = ConfigDict(extra="ignore")

    submission_id: str
    submitted_at: date
    applicant: Applicant
    solution: Solution
    materials: list[Material] = Field(default_factory=list)

    def category_of(self, file_name: str) -> str | None:
        return next((m.category for m in self.materials if m.file == file_name), None)


def parse_declared(data: bytes | str | dict[str, Any], source: str = "declared.yaml") -> Declared:
    """Validate declared data; a ``DeclaredDataError`` names the offending field."""
    try:
        raw = load_yaml(data) if isinstance(data, bytes | str) else data
        return Declared.model_validate(raw)
    except yaml.YAMLError as exc:
        raise DeclaredDataError(f"申报数据无法解析 {source} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise DeclaredDataError(f"申报数据不完整 {source} is invalid: {problems}") from exc


def load_declared_file(path: Path) -> Declared:
    return parse_declared(path.read_bytes(), str(path))
