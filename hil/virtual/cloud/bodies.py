"""Request bodies read as their OpenAPI 3.0 schemas say: JSON types taken strictly (no "5" for an
integer), and an optional field may be left out but is never null - OpenAPI 3.0 has no null type,
and none of 1NCE's schemas marks a field `nullable`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class ApiBody(BaseModel):
    """Base of every request body model; unknown fields are ignored unless a subclass forbids them."""

    model_config = ConfigDict(extra="ignore", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            names = {n for name, f in cls.model_fields.items() for n in (name, f.alias) if n}
            nulls = [name for name, value in data.items() if value is None and name in names]
            if nulls:
                raise ValueError(f"{', '.join(nulls)} must not be null: leave an optional field out instead")
        return data


class StrictBody(ApiBody):
    """A body whose schema says additionalProperties: false."""

    model_config = ConfigDict(extra="forbid", strict=True)
