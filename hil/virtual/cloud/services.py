"""Everything one emulator instance is made of, built from an inventory and a config; the HTTP
routes reach it through ``request.app.state.services``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from hil.virtual.network.clock import Clock
from hil.virtual.network.core import CoreNetwork
from hil.virtual.network.database import Database
from hil.virtual.network.events import EventLog
from hil.virtual.network.inventory import Inventory
from hil.virtual.network.sms import SmsPolicy
from hil.virtual.network.store import NetworkStore

from .admin_log import AdminLog
from .authenticator import Authenticator
from .config import EmulatorConfig
from .controller import DeviceController
from .energy_saver import EnergySaver
from .forwarder import DataStreamer, SmsForwarder
from .history import HistoryStore
from .http_delivery import HttpDeliverer
from .ingest import UplinkPipeline
from .orders import TOP_UP_PRODUCT_ID, OrderBook
from .ratelimit import RateLimiter
from .tokens import TokenIssuer
from .webhooks import CloudIntegrator


@dataclass
class Services:
    config: EmulatorConfig
    inventory: Inventory
    clock: Clock
    db: Database
    store: NetworkStore
    events: EventLog
    core: CoreNetwork
    issuer: TokenIssuer
    limiter: RateLimiter
    admin_log: AdminLog
    history: HistoryStore
    energy: EnergySaver
    authenticator: Authenticator
    integrator: CloudIntegrator
    forwarder: SmsForwarder
    streamer: DataStreamer
    pipeline: UplinkPipeline
    controller: DeviceController
    orders: OrderBook
    deliverers: list[HttpDeliverer] = field(default_factory=list)
    endpoints: dict[str, Any] = field(default_factory=dict)
    coap: Any = None  # CoapServer, set when it runs

    @property
    def organisation_id(self) -> str:
        return self.inventory.organisation.id

    def agreements_accepted(self) -> bool:
        accepted: bool = self.store.setting("os_agreements_accepted", self.inventory.os_agreements_accepted)
        return accepted


def build_services(inventory: Inventory, config: EmulatorConfig, db_path: Path) -> Services:
    """Wire the parts together (no sockets yet; the server starts those)."""
    clock = Clock()
    db = Database(db_path)
    store = NetworkStore(db, clock)
    store.import_inventory(inventory)
    org = inventory.organisation
    events = EventLog(store, clock, org.id, org.name)
    scale = config.time_scale
    sms_scale = scale if config.sms_time_scale is None else config.sms_time_scale
    core = CoreNetwork(store, events, clock, sms_policy=SmsPolicy().scaled(sms_scale))
    admin_log = AdminLog(db, clock, org.id)
    orders = OrderBook(db, clock)
    core.on_auto_top_up.append(lambda iccid: _auto_top_up_order(orders, iccid))
    history = HistoryStore(db, clock)
    energy = EnergySaver(db)
    authenticator = Authenticator(db, clock, config.psk_rotation_seconds)
    webhook_http = HttpDeliverer(
        config.scaled(config.webhook_timeout), tuple(d * scale for d in config.webhook_retry_delays)
    )
    forwarder_http = HttpDeliverer(
        config.scaled(config.webhook_timeout), tuple(d * scale for d in config.forwarder_retry_delays)
    )
    integrator = CloudIntegrator(db, clock, admin_log, webhook_http)
    forwarder = SmsForwarder(forwarder_http, org.id, config.sms_forwarder_url)
    core.sms.on_mo.append(forwarder.mo)
    core.sms.on_final.append(forwarder.delivery_report)
    streamer = DataStreamer(
        forwarder_http, config.data_streamer_url, config.scaled(config.data_streamer_interval)
    )
    events.listeners.append(streamer.record)
    services_ref: dict[str, Services] = {}
    pipeline = UplinkPipeline(
        db=db,
        core=core,
        energy=energy,
        history=history,
        integrator=integrator,
        admin_log=admin_log,
        require_pdp_context=config.require_pdp_context,
        agreements_accepted=lambda: _accepted(services_ref),
    )
    controller = DeviceController(
        db,
        clock,
        core,
        org.id,
        coap_context=lambda: services_ref["s"].coap.context if services_ref["s"].coap else None,
        coap_timeout=config.scaled(config.coap_downlink_timeout),
    )
    pipeline.pending_downlinks = controller.pending_devices
    pipeline.device_active = controller.device_active
    services = Services(
        config=config,
        inventory=inventory,
        clock=clock,
        db=db,
        store=store,
        events=events,
        core=core,
        issuer=TokenIssuer(inventory.api_users, org.id, clock, config.token_ttl),
        limiter=RateLimiter(config.sims_rate_limit),
        admin_log=admin_log,
        history=history,
        energy=energy,
        authenticator=authenticator,
        integrator=integrator,
        forwarder=forwarder,
        streamer=streamer,
        pipeline=pipeline,
        controller=controller,
        orders=orders,
        deliverers=[webhook_http, forwarder_http],
    )
    services_ref["s"] = services
    return services


def _auto_top_up_order(orders: OrderBook, iccid: str) -> None:
    orders.record("TOPUP", [iccid], TOP_UP_PRODUCT_ID, "banktransfer")


def _accepted(services_ref: dict[str, Services]) -> bool:
    return services_ref["s"].agreements_accepted()


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
