"""Typed views of the 1NCE API's JSON. Unknown fields are kept (extra="allow") so a newer API
version does not break a harness that only reads what it knows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class QuotaStatus(ApiModel):
    id: int
    description: str = ""
    threshold_reached_date: str | None = None
    quota_exceeded_date: str | None = None


class Sim(ApiModel):
    iccid: str
    iccid_with_luhn: str | None = None
    imsi: str | None = None
    current_imsi: str | None = None
    msisdn: str | None = None
    imei: str | None = None
    imei_lock: bool | None = None
    status: str
    activation_date: str | None = None
    ip_address: str | None = None
    current_quota: float | None = None
    quota_status: QuotaStatus | None = None
    current_quota_SMS: float | None = None  # noqa: N815 - the API's name
    quota_status_SMS: QuotaStatus | None = None  # noqa: N815
    label: str | None = None


class SimStatus(ApiModel):
    status: str
    location: dict[str, Any] | None = None
    pdp_context: dict[str, Any] | None = None
    services: list[str] = Field(default_factory=list)


class Quota(ApiModel):
    volume: float
    total_volume: float | None = None
    expiry_date: str | None = None
    peak_throughput: int | None = None
    last_volume_added: float | None = None
    last_status_change_date: str | None = None
    threshold_percentage: int | None = None


class TrafficVolume(ApiModel):
    volume: str
    volume_rx: str
    volume_tx: str


class UsageDay(ApiModel):
    date: str
    data: TrafficVolume | None = None
    sms: TrafficVolume | None = None


class SmsStatus(ApiModel):
    id: int
    description: str = ""


class SmsType(ApiModel):
    id: int | None = None
    description: str


class Sms(ApiModel):
    id: int
    submit_date: str | None = None
    delivery_date: str | None = None
    final_date: str | None = None
    source_address: str | None = None
    payload: str | None = None
    dcs: int | None = None
    status: SmsStatus
    sms_type: SmsType


class SimEvent(ApiModel):
    timestamp: str
    event_type: str
    iccid: str | None = None
    event_severity: str | None = None


class Device(ApiModel):
    id: str
    iccid: str
    imsi1: str
    ip: str


class HistoryMessage(ApiModel):
    iccid: str
    deviceId: str  # noqa: N815
    time: str
    payload: str
    protocol: str
    topic: str | None = None


class ActionRequest(ApiModel):
    id: str
    status: str
    deviceId: str  # noqa: N815
    protocol: str
    mode: str
    resultData: dict[str, Any] | None = None  # noqa: N815


class Template(ApiModel):
    id: str
    name: str
    template: str
    protocolFilter: list[str]  # noqa: N815
    status: str
