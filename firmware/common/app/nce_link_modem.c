/*
 * nce_link_modem.c - the app's link over the AT modem layer (nce_modem.h), and the AT driver's
 * byte pipe over the platform's modem UART.
 */
#include <stddef.h>
#include <stdint.h>

#include "nce_app.h"
#include "nce_modem.h"
#include "nce_platform.h"

static int io_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    return nce_platform_modem_write(data, len);
}

static int io_read(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    (void)ctx;
    return nce_platform_modem_read(buf, cap, timeout_ms);
}

static uint32_t io_now(void *ctx)
{
    (void)ctx;
    return nce_platform_now_ms();
}

const nce_at_io_t nce_app_platform_io = {io_write, io_read, io_now, NULL};

static nce_modem_t *modem_of(void *ctx)
{
    return &((nce_link_modem_ctx_t *)ctx)->modem;
}

static nce_modem_status_t link_restart(void *ctx, uint32_t timeout_ms)
{
    nce_link_modem_ctx_t *c = (nce_link_modem_ctx_t *)ctx;

    /* A fresh modem layer: everything the modem knew (sockets, PDP, URC set-up) is redone. */
    nce_modem_init(&c->modem, c->io, c->dialect);
    return nce_modem_sync(&c->modem, timeout_ms);
}

static nce_modem_status_t link_identity(void *ctx, nce_modem_identity_t *out)
{
    return nce_modem_identity(modem_of(ctx), out);
}

static nce_modem_status_t link_sim_ready(void *ctx, uint32_t timeout_ms)
{
    return nce_modem_sim_ready(modem_of(ctx), timeout_ms);
}

static nce_modem_status_t link_configure(void *ctx, nce_rat_t rat, const char *apn)
{
    nce_modem_status_t status = nce_modem_set_rat(modem_of(ctx), rat);

    return status != NCE_MODEM_OK ? status : nce_modem_set_apn(modem_of(ctx), apn);
}

static nce_modem_status_t link_attach(void *ctx, uint32_t timeout_ms, nce_modem_registration_t *out)
{
    return nce_modem_attach(modem_of(ctx), timeout_ms, out);
}

static nce_modem_status_t link_pdp(void *ctx, char ip[16])
{
    return nce_modem_pdp_activate(modem_of(ctx), ip);
}

static nce_modem_status_t link_udp_open(void *ctx, const char *host, uint16_t port, uint16_t local_port)
{
    return nce_modem_udp_open(modem_of(ctx), host, port, local_port);
}

static nce_modem_status_t link_udp_send(void *ctx, const uint8_t *data, size_t len)
{
    return nce_modem_udp_send(modem_of(ctx), data, len);
}

static nce_modem_status_t link_udp_receive(void *ctx, uint8_t *buf, size_t cap, size_t *received,
                                           uint32_t timeout_ms)
{
    return nce_modem_udp_receive(modem_of(ctx), buf, cap, received, timeout_ms);
}

static nce_modem_status_t link_udp_close(void *ctx)
{
    return nce_modem_udp_close(modem_of(ctx));
}

static nce_modem_status_t link_signal(void *ctx, nce_modem_signal_t *out)
{
    return nce_modem_signal(modem_of(ctx), out);
}

static nce_modem_status_t link_sms_send(void *ctx, const char *number, const char *text, int *reference)
{
    return nce_modem_sms_send(modem_of(ctx), number, text, reference);
}

static nce_modem_status_t link_sms_enable(void *ctx)
{
    return nce_modem_sms_enable(modem_of(ctx));
}

static nce_modem_status_t link_poll(void *ctx, uint32_t wait_ms, nce_modem_event_t *event)
{
    return nce_modem_poll(modem_of(ctx), wait_ms, event);
}

static const nce_modem_error_t *link_last_error(void *ctx)
{
    return &modem_of(ctx)->last_error;
}

static const char *link_name(void *ctx)
{
    return nce_dialect_name(modem_of(ctx)->dialect);
}

void nce_link_modem(nce_link_t *link, nce_link_modem_ctx_t *ctx, const nce_at_io_t *io,
                    nce_dialect_t dialect)
{
    ctx->io = io;
    ctx->dialect = dialect;
    nce_modem_init(&ctx->modem, io, dialect);
    link->ctx = ctx;
    link->restart = link_restart;
    link->identity = link_identity;
    link->sim_ready = link_sim_ready;
    link->configure = link_configure;
    link->attach = link_attach;
    link->signal = link_signal;
    link->pdp_activate = link_pdp;
    link->udp_open = link_udp_open;
    link->udp_send = link_udp_send;
    link->udp_receive = link_udp_receive;
    link->udp_close = link_udp_close;
    link->sms_enable = link_sms_enable;
    link->sms_send = link_sms_send;
    link->poll = link_poll;
    link->last_error = link_last_error;
    link->name = link_name;
}
