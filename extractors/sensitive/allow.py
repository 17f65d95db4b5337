"""Expected places: the applicant's own contact person, phone and e-mail are not findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from extractors.sensitive.checksums import digits


def norm_phone(value: str) -> str:
    """Digits of a phone number without a leading ``86`` / ``+86`` country code."""
    d = digits(value)
    if len(d) == 13 and d.startswith("86"):
        d = d[2:]
    return d


class AllowList(BaseModel):
    """Names, phones, e-mails and ID numbers that are expected in a submission's documents."""

    model_config = ConfigDict(extra="forbid")

    names: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    id_numbers: list[str] = Field(default_factory=list)

    @classmethod
    def from_declared(cls, declared: Mapping[str, Any]) -> AllowList:
        """Build from ``declared.yaml`` data (the whole mapping or its ``applicant`` part):
        ``applicant.contact`` (name, phone/mobile/tel, email, id_number) and
        ``applicant.legal_representative`` (a name or a mapping like contact)."""
        applicant = declared.get("applicant", declared)
        if not isinstance(applicant, Mapping):
            return cls()
        people: list[Any] = [applicant.get("contact"), applicant.get("legal_representative")]
        extra = applicant.get("contacts")
        if isinstance(extra, list):
            people += extra
        names: list[str] = []
        phones: list[str] = []
        emails: list[str] = []
        ids: list[str] = []
        for p in people:
            if isinstance(p, str) and p.strip():
                names.append(p.strip())
            elif isinstance(p, Mapping):
                if p.get("name"):
                    names.append(str(p["name"]).strip())
                for k in ("phone", "mobile", "tel", "telephone"):
                    if p.get(k):
                        phones.append(norm_phone(str(p[k])))
                if p.get("email"):
                    emails.append(str(p["email"]).strip().lower())
                for k in ("id_number", "resident_id"):
                    if p.get(k):
                        ids.append(digits(str(p[k])))
        return cls(names=names, phones=phones, emails=emails, id_numbers=ids)

    def allows(self, rule: str, value: str, nearby: str) -> bool:
        """True when a PII value is expected: a declared phone / e-mail / ID number, or a resident ID
        or passport number written next to a declared person's name (``nearby`` is the window)."""
        if rule in ("pii.mobile", "pii.landline"):
            v = norm_phone(value)
            return any(v == p or (len(p) >= 7 and v.endswith(p)) for p in self.phones if p)
        if rule == "pii.email":
            return value.strip().lower() in self.emails
        if rule in ("pii.resident_id", "pii.passport"):
            if digits(value) in self.id_numbers:
                return True
            return any(n and n in nearby for n in self.names)
        return False
