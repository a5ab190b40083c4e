"""Self-set monthly limits (data, MT-SMS, MO-SMS) that apply to every SIM of the organisation.

1NCE offers fixed choices per service, set by id via POST /v1/sims/limits; these are the emulator's
choices (ids are stable; documented in docs/virtual-network.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .store import NetworkStore

DATA_LIMIT_OPTIONS_MB: dict[int, int] = {1: 1, 2: 5, 3: 10, 4: 16, 5: 50, 6: 100, 7: 250, 8: 500}
SMS_LIMIT_OPTIONS: dict[int, int] = {1: 1, 2: 5, 3: 10, 4: 25, 5: 50, 6: 100, 7: 250}

_SETTING = "monthly_limits"


@dataclass(frozen=True)
class MonthlyLimits:
    data_id: int | None = None
    sms_mt_id: int | None = None
    sms_mo_id: int | None = None

    @property
    def data_bytes(self) -> int | None:
        return None if self.data_id is None else DATA_LIMIT_OPTIONS_MB[self.data_id] * 1_000_000

    @property
    def sms_mt(self) -> int | None:
        return None if self.sms_mt_id is None else SMS_LIMIT_OPTIONS[self.sms_mt_id]

    @property
    def sms_mo(self) -> int | None:
        return None if self.sms_mo_id is None else SMS_LIMIT_OPTIONS[self.sms_mo_id]

    def as_api(self) -> dict[str, Any]:
        """The Values_for_Limits object; services without a limit are left out."""
        body: dict[str, Any] = {}
        for key, chosen, options, unit in (
            ("data", self.data_id, DATA_LIMIT_OPTIONS_MB, "MB"),
            ("smsMt", self.sms_mt_id, SMS_LIMIT_OPTIONS, "SMS"),
            ("smsMo", self.sms_mo_id, SMS_LIMIT_OPTIONS, "SMS"),
        ):
            if chosen is not None:
                body[key] = {"id": chosen, "limit": str(options[chosen]), "unit": unit}
        return body


def load_limits(store: NetworkStore) -> MonthlyLimits:
    raw = store.setting(_SETTING, {})
    return MonthlyLimits(raw.get("data"), raw.get("sms_mt"), raw.get("sms_mo"))


def save_limits(store: NetworkStore, limits: MonthlyLimits) -> None:
    for value, options, name in (
        (limits.data_id, DATA_LIMIT_OPTIONS_MB, "dataLimitId"),
        (limits.sms_mt_id, SMS_LIMIT_OPTIONS, "smsMtLimitId"),
        (limits.sms_mo_id, SMS_LIMIT_OPTIONS, "smsMoLimitId"),
    ):
        if value is not None and value not in options:
            raise ValueError(f"{name} {value} is not one of {sorted(options)}")
    chosen = {"data": limits.data_id, "sms_mt": limits.sms_mt_id, "sms_mo": limits.sms_mo_id}
    store.set_setting(_SETTING, chosen)
