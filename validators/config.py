"""Campaign configuration (rule parameters) and the region table, validated at load."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError
from pipeline.yamlio import load_yaml

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
REGIONS = ("华北", "华中", "华东", "华南", "东北", "西南", "西北")


class LengthLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    max: int = Field(gt=0)


class CampaignConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    campaign: str
    reference_date: date | None = None
    deployment_window_years: int = Field(default=2, ge=1, le=10)
    max_solutions_per_applicant: int = Field(default=3, ge=1)
    required_materials: list[str]
    deployment_evidence: list[str]
    seal_required: list[str]
    length_limits: dict[str, LengthLimit]
    counts_backed_by: dict[str, str]
    name_similarity_for_review: float = Field(default=0.8, gt=0, lt=1)
    material_keywords: dict[str, list[str]] = Field(default_factory=dict)


class RegionTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    regions: dict[str, list[str]]

    @model_validator(mode="after")
    def _all_regions(self) -> RegionTable:
        missing = set(REGIONS) - set(self.regions)
        if missing:
            raise ValueError(f"regions missing: {sorted(missing)}")
        return self

    def region_of(self, province: str) -> str | None:
        """The region containing ``province`` (short or full form), or None."""
        for region, provinces in self.regions.items():
            if any(province.startswith(p) for p in provinces):
                return region
        return None


def _load(path: Path, model: type[BaseModel]) -> BaseModel:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
        return model.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"配置文件无效 invalid configuration file {path}: {exc}") from exc


@lru_cache(maxsize=8)
def load_campaign(path: Path | None = None) -> CampaignConfig:
    """The campaign config (``config/campaign.yaml`` unless ``path`` is given)."""
    cfg = _load(path or CONFIG_DIR / "campaign.yaml", CampaignConfig)
    assert isinstance(cfg, CampaignConfig)
    return cfg


@lru_cache(maxsize=2)
def load_regions(path: Path | None = None) -> RegionTable:
    table = _load(path or CONFIG_DIR / "regions.yaml", RegionTable)
    assert isinstance(table, RegionTable)
    return table
