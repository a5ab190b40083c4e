/*
 * link_offload.c - the app's link (nce_link_t) on nRF91 with the nRF Connect SDK: the path 1NCE's
 * Zephyr blueprint takes. The modem library (nrf_modem_lib) runs the modem; LTE link control
 * (lte_lc) attaches; UDP goes through offloaded Zephyr sockets (zsock_*); identity, SIM, APN
 * and the PDP address are AT commands through nrf_modem_at; MT SMS come from the SMS library
 * when CONFIG_SMS is on (otherwise SMS configuration is not wired on this link).
 *
 * Status codes and events are the modem layer's, so the app handles failures alike on every
 * link. Registration and SMS callbacks run in the SDK's contexts: they only queue events.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>

#include <modem/lte_lc.h>
#include <modem/nrf_modem_lib.h>
#include <nrf_modem_at.h>
#if defined(CONFIG_SMS)
#include <modem/sms.h>
#endif

#include "nce_app.h"
#include "nce_modem.h"
#include "nce_zephyr.h"

#define AT_RESPONSE_MAX 160
#define PDP_WAIT_MS 10000u
#define SIM_POLL_MS 500u

K_MSGQ_DEFINE(s_events, sizeof(nce_modem_event_t), 4, 4);
static K_SEM_DEFINE(s_registration_changed, 0, 1);

static struct {
    uint8_t modem_up;
    uint8_t handler_registered;
    uint8_t sms_listening;
    volatile uint8_t attached;
    volatile int registration; /* the last +CEREG stat from lte_lc */
    int socket;
    struct sockaddr_in peer;
    nce_modem_error_t last_error;
} s_link = {.socket = -1, .registration = -1};

static void set_error(const char *command, const char *final, int code)
{
    (void)snprintf(s_link.last_error.command, sizeof s_link.last_error.command, "%s", command);
    (void)snprintf(s_link.last_error.final, sizeof s_link.last_error.final, "%s", final);
    s_link.last_error.code = code;
}

/* nrf_modem_at_cmd's result as a modem-layer status (and the evidence). */
static nce_modem_status_t at_status(int err, const char *command)
{
    if (err == 0) {
        return NCE_MODEM_OK;
    }
    if (err < 0) {
        set_error(command, "", err);
        return NCE_MODEM_IO;
    }
    switch (nrf_modem_at_err_type(err)) {
    case NRF_MODEM_AT_CME_ERROR:
        set_error(command, "+CME ERROR", nrf_modem_at_err(err));
        return NCE_MODEM_CME;
    case NRF_MODEM_AT_CMS_ERROR:
        set_error(command, "+CMS ERROR", nrf_modem_at_err(err));
        return NCE_MODEM_CMS;
    default:
        set_error(command, "ERROR", 0);
        return NCE_MODEM_ERROR;
    }
}

/* The first line of an AT response, after `prefix` when it starts with it, without quotes. */
static void response_value(const char *response, const char *prefix, char *out, size_t cap)
{
    const char *p = response;
    size_t n = 0;

    while (*p == '\r' || *p == '\n' || *p == ' ') {
        p++;
    }
    if (prefix != NULL && strncmp(p, prefix, strlen(prefix)) == 0) {
        p += strlen(prefix);
    }
    while (*p == ' ') {
        p++;
    }
    for (; *p != '\0' && *p != '\r' && *p != '\n' && n + 1u < cap; p++) {
        if (*p != '"') {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

/* The first double-quoted field of a response ("+CGPADDR: 0,\"10.0.0.1\"" -> 10.0.0.1). */
static int quoted_field(const char *response, char *out, size_t cap)
{
    const char *open = strchr(response, '"');
    const char *close = open != NULL ? strchr(open + 1, '"') : NULL;
    size_t len;

    if (close == NULL || (size_t)(close - open - 1) >= cap) {
        return -1;
    }
    len = (size_t)(close - open - 1);
    memcpy(out, open + 1, len);
    out[len] = '\0';
    return 0;
}

static nce_modem_status_t at_query(const char *command, const char *prefix, char *out, size_t cap)
{
    char response[AT_RESPONSE_MAX];
    nce_modem_status_t status = at_status(nrf_modem_at_cmd(response, sizeof response, "%s", command), command);

    out[0] = '\0';
    if (status == NCE_MODEM_OK) {
        response_value(response, prefix, out, cap);
    }
    return status;
}

static void queue_event(nce_modem_event_kind_t kind, int value)
{
    nce_modem_event_t event;

    memset(&event, 0, sizeof event);
    event.kind = kind;
    event.value = value;
    (void)k_msgq_put(&s_events, &event, K_NO_WAIT); /* full: the oldest events are still queued */
}

static void lte_handler(const struct lte_lc_evt *const evt)
{
    if (evt->type != LTE_LC_EVT_NW_REG_STATUS) {
        return;
    }
    s_link.registration = (int)evt->nw_reg_status;
    k_sem_give(&s_registration_changed);
    /* Only a change after the attach is news for the app (a detach starts its recovery). */
    if (s_link.attached && evt->nw_reg_status != LTE_LC_NW_REG_REGISTERED_HOME &&
        evt->nw_reg_status != LTE_LC_NW_REG_REGISTERED_ROAMING) {
        s_link.attached = 0u;
        queue_event(NCE_MODEM_EVENT_REGISTRATION, (int)evt->nw_reg_status);
    }
}

#if defined(CONFIG_SMS)
static void sms_handler(struct sms_data *const data, void *context)
{
    nce_modem_event_t event;
    size_t len;

    ARG_UNUSED(context);
    if (data == NULL || data->type != SMS_TYPE_DELIVER) {
        return;
    }
    memset(&event, 0, sizeof event);
    event.kind = NCE_MODEM_EVENT_SMS;
    (void)snprintf(event.sender, sizeof event.sender, "%s",
                   data->header.deliver.originating_address.address_str);
    len = (size_t)data->payload_len < sizeof event.text - 1u ? (size_t)data->payload_len : sizeof event.text - 1u;
    memcpy(event.text, data->payload, len);
    event.text[len] = '\0';
    (void)k_msgq_put(&s_events, &event, K_NO_WAIT);
}
#endif

static nce_modem_status_t link_restart(void *ctx, uint32_t timeout_ms)
{
    char answer[8];
    int err;

    ARG_UNUSED(ctx);
    ARG_UNUSED(timeout_ms); /* nrf_modem_lib_init is synchronous */
    if (s_link.socket >= 0) {
        (void)zsock_close(s_link.socket);
        s_link.socket = -1;
    }
    s_link.attached = 0u;
    if (s_link.modem_up) {
        (void)nrf_modem_lib_shutdown();
        s_link.modem_up = 0u;
        s_link.sms_listening = 0u; /* the SMS library's subscription went with the modem */
    }
    err = nrf_modem_lib_init();
    if (err < 0) {
        set_error("nrf_modem_lib_init", "", err);
        return NCE_MODEM_IO;
    }
    s_link.modem_up = 1u;
    if (!s_link.handler_registered) {
        lte_lc_register_handler(lte_handler);
        s_link.handler_registered = 1u;
    }
    k_msgq_purge(&s_events);
    return at_query("AT", NULL, answer, sizeof answer);
}

static void strip_iccid(char *iccid)
{
    size_t n = 0;

    /* Digits only: the SIM's F padding and anything after the number go. */
    while (iccid[n] >= '0' && iccid[n] <= '9') {
        n++;
    }
    iccid[n] = '\0';
}

static nce_modem_status_t link_identity(void *ctx, nce_modem_identity_t *out)
{
    nce_modem_status_t status;

    ARG_UNUSED(ctx);
    memset(out, 0, sizeof *out);
    status = at_query("AT+CGMI", NULL, out->manufacturer, sizeof out->manufacturer);
    if (status == NCE_MODEM_OK) {
        status = at_query("AT+CGMM", NULL, out->model, sizeof out->model);
    }
    if (status == NCE_MODEM_OK) {
        status = at_query("AT+CGMR", NULL, out->firmware, sizeof out->firmware);
    }
    if (status == NCE_MODEM_OK) {
        status = at_query("AT+CGSN", NULL, out->imei, sizeof out->imei);
    }
    if (status != NCE_MODEM_OK) {
        return status;
    }
    /* The SIM answers only once the UICC is active: an empty ICCID/IMSI now is read again by
     * the app after sim_ready. */
    if (at_query("AT%XICCID", "%XICCID:", out->iccid, sizeof out->iccid) == NCE_MODEM_OK) {
        strip_iccid(out->iccid);
    }
    (void)at_query("AT+CIMI", NULL, out->imsi, sizeof out->imsi);
    return NCE_MODEM_OK;
}

static nce_modem_status_t link_sim_ready(void *ctx, uint32_t timeout_ms)
{
    uint32_t start = k_uptime_get_32();
    char state[24];
    int err;

    ARG_UNUSED(ctx);
    err = lte_lc_func_mode_set(LTE_LC_FUNC_MODE_ACTIVATE_UICC);
    if (err != 0) {
        set_error("lte_lc_func_mode_set(UICC)", "", err);
        return NCE_MODEM_IO;
    }
    for (;;) {
        nce_modem_status_t status = at_query("AT+CPIN?", "+CPIN:", state, sizeof state);

        if (status == NCE_MODEM_OK && strcmp(state, "READY") == 0) {
            return NCE_MODEM_OK;
        }
        if (status == NCE_MODEM_OK && strstr(state, "PIN") != NULL) {
            set_error("AT+CPIN?", state, 0);
            return NCE_MODEM_SIM_LOCKED;
        }
        if (k_uptime_get_32() - start >= timeout_ms) {
            /* +CME ERROR 10 (SIM not inserted) or still busy when the wait ended */
            return status == NCE_MODEM_CME && s_link.last_error.code == 10 ? NCE_MODEM_NO_SIM : NCE_MODEM_TIMEOUT;
        }
        k_msleep(SIM_POLL_MS);
    }
}

static nce_modem_status_t link_configure(void *ctx, nce_rat_t rat, const char *apn)
{
    enum lte_lc_system_mode mode;
    int err;

    ARG_UNUSED(ctx);
    if (rat == NCE_RAT_LTE_M) {
        mode = LTE_LC_SYSTEM_MODE_LTEM;
    } else if (rat == NCE_RAT_NB_IOT) {
        mode = LTE_LC_SYSTEM_MODE_NBIOT;
    } else {
        set_error("lte_lc_system_mode_set", "no GSM on nRF91", 0);
        return NCE_MODEM_ARGUMENT;
    }
    if (apn == NULL || apn[0] == '\0' || strchr(apn, '"') != NULL) {
        set_error("AT+CGDCONT", "bad APN", 0);
        return NCE_MODEM_ARGUMENT;
    }
    /* System mode and the default context are set while the radio is off. */
    err = lte_lc_func_mode_set(LTE_LC_FUNC_MODE_OFFLINE);
    if (err == 0) {
        err = lte_lc_system_mode_set(mode, LTE_LC_SYSTEM_MODE_PREFER_AUTO);
    }
    if (err != 0) {
        set_error("lte_lc_system_mode_set", "", err);
        return NCE_MODEM_ERROR;
    }
    return at_status(nrf_modem_at_printf("AT+CGDCONT=0,\"IP\",\"%s\"", apn), "AT+CGDCONT");
}

static nce_modem_status_t link_attach(void *ctx, uint32_t timeout_ms, nce_modem_registration_t *out)
{
    uint32_t start = k_uptime_get_32();
    enum lte_lc_lte_mode lte_mode = LTE_LC_LTE_MODE_NONE;
    char response[AT_RESPONSE_MAX];
    int err;

    ARG_UNUSED(ctx);
    k_sem_reset(&s_registration_changed);
    s_link.registration = -1;
    err = lte_lc_connect_async(NULL); /* the handler registered in restart gets the events */
    if (err != 0) {
        set_error("lte_lc_connect_async", "", err);
        return NCE_MODEM_ERROR;
    }
    for (;;) {
        uint32_t waited = k_uptime_get_32() - start;
        int stat = s_link.registration;

        if (stat == LTE_LC_NW_REG_REGISTERED_HOME || stat == LTE_LC_NW_REG_REGISTERED_ROAMING) {
            break;
        }
        if (stat == LTE_LC_NW_REG_REGISTRATION_DENIED) {
            set_error("lte_lc_connect", "+CEREG: 3", 0); /* the EMM cause is not reported by lte_lc */
            return NCE_MODEM_DENIED;
        }
        if (stat == LTE_LC_NW_REG_UICC_FAIL) {
            set_error("lte_lc_connect", "+CEREG: 90", 0);
            return NCE_MODEM_NO_SIM;
        }
        if (waited >= timeout_ms) {
            set_error("lte_lc_connect", "searching", 0);
            return NCE_MODEM_NOT_ATTACHED;
        }
        (void)k_sem_take(&s_registration_changed, K_MSEC(timeout_ms - waited));
    }
    memset(out, 0, sizeof *out);
    out->stat = s_link.registration;
    out->rat = (lte_lc_lte_mode_get(&lte_mode) == 0 && lte_mode == LTE_LC_LTE_MODE_NBIOT) ? NCE_RAT_NB_IOT
                                                                                           : NCE_RAT_LTE_M;
    /* Numeric operator: AT+COPS=3,2 then +COPS: 0,2,"26201",7 */
    if (nrf_modem_at_printf("AT+COPS=3,2") == 0 &&
        nrf_modem_at_cmd(response, sizeof response, "AT+COPS?") == 0) {
        (void)quoted_field(response, out->operator_plmn, sizeof out->operator_plmn);
    }
    s_link.attached = 1u;
    return NCE_MODEM_OK;
}

/* The nRF91 activates the default PDN with the attach: wait for its address. */
static nce_modem_status_t link_pdp(void *ctx, char ip[16])
{
    uint32_t start = k_uptime_get_32();
    char response[AT_RESPONSE_MAX];

    ARG_UNUSED(ctx);
    for (;;) {
        nce_modem_status_t status =
            at_status(nrf_modem_at_cmd(response, sizeof response, "AT+CGPADDR=0"), "AT+CGPADDR=0");

        if (status == NCE_MODEM_OK && quoted_field(response, ip, 16u) == 0 && ip[0] != '\0') {
            return NCE_MODEM_OK;
        }
        if (k_uptime_get_32() - start >= PDP_WAIT_MS) {
            set_error("AT+CGPADDR=0", "no address", 0);
            return NCE_MODEM_PDP_REJECTED;
        }
        k_msleep(500);
    }
}

static nce_modem_status_t link_udp_close(void *ctx)
{
    ARG_UNUSED(ctx);
    if (s_link.socket >= 0) {
        (void)zsock_close(s_link.socket);
        s_link.socket = -1;
    }
    return NCE_MODEM_OK;
}

static nce_modem_status_t link_udp_open(void *ctx, const char *host, uint16_t port, uint16_t local_port)
{
    struct zsock_addrinfo hints;
    struct zsock_addrinfo *found = NULL;
    char service[6];
    int err;

    (void)link_udp_close(ctx);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    (void)snprintf(service, sizeof service, "%u", (unsigned)port);
    err = zsock_getaddrinfo(host, service, &hints, &found);
    if (err != 0 || found == NULL || found->ai_addrlen > sizeof s_link.peer) {
        set_error("zsock_getaddrinfo", host, err);
        if (found != NULL) {
            zsock_freeaddrinfo(found);
        }
        return NCE_MODEM_SOCKET;
    }
    memset(&s_link.peer, 0, sizeof s_link.peer);
    memcpy(&s_link.peer, found->ai_addr, found->ai_addrlen);
    zsock_freeaddrinfo(found);
    s_link.socket = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s_link.socket < 0) {
        set_error("zsock_socket", "", errno);
        return NCE_MODEM_SOCKET;
    }
    if (local_port != 0u) { /* listen for downlinks on a known port */
        struct sockaddr_in local;

        memset(&local, 0, sizeof local);
        local.sin_family = AF_INET;
        local.sin_port = htons(local_port);
        if (zsock_bind(s_link.socket, (struct sockaddr *)&local, sizeof local) != 0) {
            set_error("zsock_bind", "", errno);
            (void)link_udp_close(ctx);
            return NCE_MODEM_SOCKET;
        }
    }
    return NCE_MODEM_OK;
}

static nce_modem_status_t link_udp_send(void *ctx, const uint8_t *data, size_t len)
{
    ssize_t sent;

    ARG_UNUSED(ctx);
    if (s_link.socket < 0) {
        return NCE_MODEM_SOCKET;
    }
    sent = zsock_sendto(s_link.socket, data, len, 0, (const struct sockaddr *)&s_link.peer, sizeof s_link.peer);
    if (sent < 0 || (size_t)sent != len) {
        set_error("zsock_sendto", "", sent < 0 ? errno : 0);
        return NCE_MODEM_SOCKET;
    }
    return NCE_MODEM_OK;
}

static nce_modem_status_t link_udp_receive(void *ctx, uint8_t *buf, size_t cap, size_t *received,
                                           uint32_t timeout_ms)
{
    struct zsock_pollfd ready;
    ssize_t n;
    int polled;

    ARG_UNUSED(ctx);
    *received = 0u;
    if (s_link.socket < 0) {
        return NCE_MODEM_SOCKET;
    }
    ready.fd = s_link.socket;
    ready.events = ZSOCK_POLLIN;
    ready.revents = 0;
    polled = zsock_poll(&ready, 1, timeout_ms > (uint32_t)INT32_MAX ? INT32_MAX : (int)timeout_ms);
    if (polled == 0) {
        return NCE_MODEM_TIMEOUT;
    }
    if (polled < 0 || (ready.revents & ZSOCK_POLLIN) == 0) {
        set_error("zsock_poll", "", polled < 0 ? errno : ready.revents);
        return NCE_MODEM_SOCKET;
    }
    n = zsock_recvfrom(s_link.socket, buf, cap, 0, NULL, NULL);
    if (n < 0) {
        set_error("zsock_recvfrom", "", errno);
        return NCE_MODEM_SOCKET;
    }
    *received = (size_t)n;
    return NCE_MODEM_OK;
}

static nce_modem_status_t link_sms_enable(void *ctx)
{
    ARG_UNUSED(ctx);
#if defined(CONFIG_SMS)
    if (!s_link.sms_listening) {
        int handle = sms_register_listener(sms_handler, NULL);

        if (handle < 0) {
            set_error("sms_register_listener", "", handle);
            return NCE_MODEM_ERROR;
        }
        s_link.sms_listening = 1u;
    }
#endif
    return NCE_MODEM_OK; /* without CONFIG_SMS: no SMS configuration on this link */
}

static nce_modem_status_t link_poll(void *ctx, uint32_t wait_ms, nce_modem_event_t *event)
{
    ARG_UNUSED(ctx);
    if (k_msgq_get(&s_events, event, wait_ms == 0u ? K_NO_WAIT : K_MSEC(wait_ms)) != 0) {
        memset(event, 0, sizeof *event);
        event->kind = NCE_MODEM_EVENT_NONE;
    }
    return NCE_MODEM_OK;
}

static const nce_modem_error_t *link_last_error(void *ctx)
{
    ARG_UNUSED(ctx);
    return &s_link.last_error;
}

static const char *link_name(void *ctx)
{
    ARG_UNUSED(ctx);
    return "nrf91-offload";
}

void nce_zephyr_link_offload(nce_link_t *link)
{
    link->ctx = &s_link;
    link->restart = link_restart;
    link->identity = link_identity;
    link->sim_ready = link_sim_ready;
    link->configure = link_configure;
    link->attach = link_attach;
    link->signal = NULL; /* not read on the offloaded path (lte_lc could; not wired) */
    link->pdp_activate = link_pdp;
    link->udp_open = link_udp_open;
    link->udp_send = link_udp_send;
    link->udp_receive = link_udp_receive;
    link->udp_close = link_udp_close;
    link->sms_enable = link_sms_enable;
    link->sms_send = NULL; /* MO SMS not wired on the offloaded path */
    link->poll = link_poll;
    link->last_error = link_last_error;
    link->name = link_name;
}
