/*
 * nce_modem.c - the generic part of the modem layer (nce_modem.h): commands with evidence,
 * sync and dialect identification, identity, SIM, APN, attach, URC bookkeeping, events.
 * Dialect-specific steps (RAT, PDP, sockets) live in the nce_dialect_*.c tables.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_at.h"
#include "nce_modem.h"
#include "nce_modem_internal.h"
#include "nce_sms.h"

#define SYNC_PROBE_MS 500u
#define ATTACH_POLL_MS 2000u

static const char *const k_dialect_names[NCE_DIALECT_COUNT] = {"bg95", "bg96", "nrf91", "sara-r4",
                                                               "sara-r5", "sim7080"};

const char *nce_dialect_name(nce_dialect_t dialect)
{
    if (dialect == NCE_DIALECT_AUTO) {
        return "auto";
    }
    return (unsigned)dialect < NCE_DIALECT_COUNT ? k_dialect_names[dialect] : "unknown";
}

const char *nce_modem_status_name(nce_modem_status_t status)
{
    switch (status) {
    case NCE_MODEM_OK: return "ok";
    case NCE_MODEM_TIMEOUT: return "timeout";
    case NCE_MODEM_ERROR: return "error";
    case NCE_MODEM_CME: return "cme";
    case NCE_MODEM_CMS: return "cms";
    case NCE_MODEM_REBOOTED: return "rebooted";
    case NCE_MODEM_BAD_RESPONSE: return "bad_response";
    case NCE_MODEM_NO_SIM: return "no_sim";
    case NCE_MODEM_SIM_LOCKED: return "sim_locked";
    case NCE_MODEM_DENIED: return "denied";
    case NCE_MODEM_NOT_ATTACHED: return "not_attached";
    case NCE_MODEM_PDP_REJECTED: return "pdp_rejected";
    case NCE_MODEM_SOCKET: return "socket";
    case NCE_MODEM_ARGUMENT: return "argument";
    case NCE_MODEM_IO: return "io";
    default: return "unknown";
    }
}

static const struct nce_dialect_ops *ops_for(nce_dialect_t dialect)
{
    switch (dialect) {
    case NCE_DIALECT_BG95:
    case NCE_DIALECT_BG96:
        return &nce_dialect_quectel;
    case NCE_DIALECT_NRF91:
        return &nce_dialect_nordic;
    default:
        return NULL; /* SARA-R4/R5, SIM7080: not implemented in the firmware */
    }
}

/* ---- events ------------------------------------------------------------------------------ */

static void queue_event(nce_modem_t *m, nce_modem_event_kind_t kind, int value)
{
    nce_modem_event_t *e;
    uint8_t i;

    for (i = 0; i < m->event_count; i++) {
        e = &m->events[(m->event_head + i) % NCE_MODEM_EVENT_QUEUE];
        if (e->kind == kind && kind != NCE_MODEM_EVENT_SMS) {
            e->value = value; /* coalesce: the latest state is what matters */
            return;
        }
    }
    if (m->event_count >= NCE_MODEM_EVENT_QUEUE) {
        return;
    }
    e = &m->events[(m->event_head + m->event_count) % NCE_MODEM_EVENT_QUEUE];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->value = value;
    m->event_count++;
}

/* An MT SMS from its PDU (+CMGR or +CMT body); an undecodable one is dropped (value < 0 would
 * tell the app nothing it can act on). */
static void queue_sms(nce_modem_t *m, const char *pdu)
{
    nce_sms_t sms;
    nce_modem_event_t *e;

    if (nce_sms_decode_deliver(pdu, strlen(pdu), &sms) != NCE_SMS_OK ||
        m->event_count >= NCE_MODEM_EVENT_QUEUE) {
        return;
    }
    e = &m->events[(m->event_head + m->event_count) % NCE_MODEM_EVENT_QUEUE];
    memset(e, 0, sizeof *e);
    e->kind = NCE_MODEM_EVENT_SMS;
    e->value = sms.parts != 0u ? sms.part : 0;
    nce_at_strlcpy(e->sender, sms.sender, sizeof e->sender);
    nce_at_strlcpy(e->text, sms.text, sizeof e->text);
    m->event_count++;
}

static void on_registration(nce_modem_t *m, const char *value)
{
    long stat;
    long act;
    long cause;

    if (nce_at_field_int(value, 0, &stat) != 0) {
        return;
    }
    m->registration_act = nce_at_field_int(value, 3, &act) == 0 ? (int)act : m->registration_act;
    m->reject_cause = nce_at_field_int(value, 5, &cause) == 0 ? (int)cause : -1;
    if (m->attached != 0u && (int)stat != m->registration_stat) {
        queue_event(m, NCE_MODEM_EVENT_REGISTRATION, (int)stat);
    }
    m->registration_stat = (int)stat;
}

static void on_urc(void *ctx, const nce_at_event_t *event)
{
    nce_modem_t *m = (nce_modem_t *)ctx;
    const char *line = event->line;

    if (event->kind == NCE_AT_EVENT_BOOT) {
        if (m->syncing == 0u) {
            queue_event(m, NCE_MODEM_EVENT_REBOOT, 0);
        }
        m->attached = 0u;
        m->socket_id = -1;
        return;
    }
    if (event->kind != NCE_AT_EVENT_URC) {
        return;
    }
    if (nce_at_starts_with(line, "+CEREG:")) {
        on_registration(m, line + 7);
    } else if (nce_at_starts_with(line, "+QIOPEN:")) {
        long err;

        m->open_result = nce_at_field_int(line + 8, 1, &err) == 0 ? (int)err : 9999;
    } else if (nce_at_starts_with(line, "+QIURC:")) {
        char kind[16];

        (void)nce_at_field(line + 7, 0, kind, sizeof kind);
        if (strcmp(kind, "recv") == 0) {
            m->socket_data = 1u;
        } else if (strcmp(kind, "pdpdeact") == 0) {
            if (m->attached != 0u) {
                queue_event(m, NCE_MODEM_EVENT_PDP_DOWN, 1);
            }
        } else if (strcmp(kind, "closed") == 0) {
            m->socket_id = -1;
        }
    } else if (nce_at_starts_with(line, "+CGEV:")) {
        if (strstr(line, "PDN DEACT") != NULL || strstr(line, "NW DEACT") != NULL ||
            strstr(line, "ME DEACT") != NULL || strstr(line, "DETACH") != NULL) {
            if (m->attached != 0u) { /* CFUN=0 before an attach detaches too: no event */
                queue_event(m, NCE_MODEM_EVENT_PDP_DOWN, 0);
            }
        }
    } else if (nce_at_starts_with(line, "+CMTI:")) {
        long index;

        if (nce_at_field_int(line + 6, 1, &index) == 0 && m->sms_index_count < 4u) {
            m->sms_index[m->sms_index_count++] = (int)index;
        }
    } else if (nce_at_starts_with(line, "+CMT:") && event->body != NULL) {
        queue_sms(m, event->body); /* delivered straight to us: acknowledge it (27.005 +CNMA) */
        m->need_cnma = 1u;
    }
}

/* ---- commands ---------------------------------------------------------------------------- */

uint32_t nce_modem_now(const nce_modem_t *modem)
{
    return modem->at.io->now_ms(modem->at.io->ctx);
}

void nce_modem_fail(nce_modem_t *modem, const char *command, const char *final, int code)
{
    nce_at_strlcpy(modem->last_error.command, command, sizeof modem->last_error.command);
    nce_at_strlcpy(modem->last_error.final, final, sizeof modem->last_error.final);
    modem->last_error.code = code;
}

nce_modem_status_t nce_modem_command_ex(nce_modem_t *modem, const char *command, uint32_t timeout_ms,
                                        const nce_at_options_t *options)
{
    nce_at_status_t status = nce_at_command_ex(&modem->at, command, timeout_ms, options);

    if (status == NCE_AT_OK) {
        return NCE_MODEM_OK;
    }
    nce_modem_fail(modem, command, nce_at_final_line(&modem->at), nce_at_code(&modem->at));
    switch (status) {
    case NCE_AT_CME: return NCE_MODEM_CME;
    case NCE_AT_CMS: return NCE_MODEM_CMS;
    case NCE_AT_TIMEOUT: return NCE_MODEM_TIMEOUT;
    case NCE_AT_REBOOTED: return NCE_MODEM_REBOOTED;
    case NCE_AT_IO: return NCE_MODEM_IO;
    case NCE_AT_ARGUMENT: return NCE_MODEM_ARGUMENT;
    case NCE_AT_ERROR:
    default: return NCE_MODEM_ERROR;
    }
}

nce_modem_status_t nce_modem_command(nce_modem_t *modem, const char *command, uint32_t timeout_ms)
{
    return nce_modem_command_ex(modem, command, timeout_ms, NULL);
}

nce_modem_status_t nce_modem_wait(nce_modem_t *modem, uint32_t ms)
{
    return nce_at_wait(&modem->at, ms) == NCE_AT_OK ? NCE_MODEM_OK : NCE_MODEM_IO;
}

/* ---- set-up ------------------------------------------------------------------------------ */

void nce_modem_init(nce_modem_t *modem, const nce_at_io_t *io, nce_dialect_t dialect)
{
    memset(modem, 0, sizeof *modem);
    nce_at_init(&modem->at, io, on_urc, modem);
    modem->dialect = dialect;
    modem->ops = ops_for(dialect);
    modem->socket_id = -1;
    modem->registration_stat = -1;
    modem->registration_act = -1;
    modem->reject_cause = -1;
    modem->open_result = -1;
}

static nce_dialect_t identify(nce_modem_t *modem)
{
    const char *model;

    if (nce_modem_command(modem, "AT+CGMM", 0u) != NCE_MODEM_OK || (model = nce_at_bare(&modem->at)) == NULL) {
        return NCE_DIALECT_AUTO;
    }
    if (strstr(model, "BG95") != NULL || strstr(model, "BG77") != NULL) {
        return NCE_DIALECT_BG95;
    }
    if (strstr(model, "BG96") != NULL) {
        return NCE_DIALECT_BG96;
    }
    if (strstr(model, "nRF91") != NULL) {
        return NCE_DIALECT_NRF91;
    }
    return NCE_DIALECT_AUTO;
}

nce_modem_status_t nce_modem_sync(nce_modem_t *modem, uint32_t timeout_ms)
{
    uint32_t start = nce_modem_now(modem);
    nce_modem_status_t status = NCE_MODEM_TIMEOUT;

    modem->syncing = 1u;
    while (nce_modem_now(modem) - start < timeout_ms) {
        status = nce_modem_command(modem, "AT", SYNC_PROBE_MS);
        if (status == NCE_MODEM_OK || status == NCE_MODEM_IO) {
            break;
        }
    }
    if (status == NCE_MODEM_OK) {
        status = nce_modem_command(modem, "ATE0", 0u);
    }
    if (status == NCE_MODEM_OK) {
        status = nce_modem_command(modem, "AT+CMEE=1", 0u);
    }
    if (status == NCE_MODEM_OK) {
        /* The richest registration URC the module accepts: 5 and 3 carry the reject cause. */
        if (nce_modem_command(modem, "AT+CEREG=5", 0u) != NCE_MODEM_OK &&
            nce_modem_command(modem, "AT+CEREG=3", 0u) != NCE_MODEM_OK) {
            status = nce_modem_command(modem, "AT+CEREG=2", 0u);
        }
    }
    if (status == NCE_MODEM_OK) {
        (void)nce_modem_command(modem, "AT+CGEREP=1", 0u);
        if (modem->dialect == NCE_DIALECT_AUTO) {
            modem->dialect = identify(modem);
        }
        modem->ops = ops_for(modem->dialect);
        if (modem->ops == NULL) {
            nce_modem_fail(modem, "AT+CGMM", "unsupported module", 0);
            status = NCE_MODEM_BAD_RESPONSE;
        }
    }
    modem->syncing = 0u;
    modem->event_count = 0u; /* boot banners before and during sync are no events */
    return status;
}

/* ---- identity and SIM --------------------------------------------------------------------- */

static const char *const k_identity_prefixes[] = {"+CGMI:", "+CGMM:", "+CGMR:", "+CGSN:", "+GSN:", "+QGMR:",
                                                  "Revision:", "#CGMR:"};

static nce_modem_status_t read_identity(nce_modem_t *modem, const char *command, char *out, size_t cap)
{
    nce_modem_status_t status = nce_modem_command(modem, command, 0u);
    const char *line;
    size_t i;
    size_t len;

    if (status != NCE_MODEM_OK) {
        return status;
    }
    line = nce_at_info(&modem->at, 0u);
    if (line == NULL) {
        nce_modem_fail(modem, command, "no identity line", 0);
        return NCE_MODEM_BAD_RESPONSE;
    }
    for (i = 0; i < sizeof k_identity_prefixes / sizeof k_identity_prefixes[0]; i++) {
        if (nce_at_starts_with(line, k_identity_prefixes[i])) {
            line += strlen(k_identity_prefixes[i]);
            break;
        }
    }
    while (*line == ' ' || *line == '"') {
        line++;
    }
    nce_at_strlcpy(out, line, cap);
    len = strlen(out);
    while (len > 0u && (out[len - 1u] == '"' || out[len - 1u] == ' ')) {
        out[--len] = '\0';
    }
    return NCE_MODEM_OK;
}

/* A command that needs the SIM: busy (CME 14) retried; CME 13 with the radio off -> CFUN=4. */
static nce_modem_status_t sim_command(nce_modem_t *modem, const char *command, uint32_t timeout_ms)
{
    uint32_t start = nce_modem_now(modem);
    int powered = 0;

    for (;;) {
        nce_modem_status_t status = nce_modem_command(modem, command, 0u);

        if (status != NCE_MODEM_CME) {
            return status;
        }
        if (modem->last_error.code == 10) {
            return NCE_MODEM_NO_SIM;
        }
        if (modem->last_error.code == 11 || modem->last_error.code == 12) {
            return NCE_MODEM_SIM_LOCKED;
        }
        if (modem->last_error.code == 13 && !powered) {
            powered = 1;
            if (nce_modem_command(modem, "AT+CFUN=4", 0u) != NCE_MODEM_OK) {
                return NCE_MODEM_CME;
            }
            continue;
        }
        if (modem->last_error.code != 14 || nce_modem_now(modem) - start >= timeout_ms) {
            return NCE_MODEM_CME;
        }
        (void)nce_modem_wait(modem, 200u);
    }
}

nce_modem_status_t nce_modem_identity(nce_modem_t *modem, nce_modem_identity_t *out)
{
    const struct nce_dialect_ops *ops = modem->ops;
    nce_modem_status_t status;
    const char *value;

    if (ops == NULL) {
        return NCE_MODEM_ARGUMENT;
    }
    memset(out, 0, sizeof *out);
    status = read_identity(modem, "AT+CGMI", out->manufacturer, sizeof out->manufacturer);
    if (status == NCE_MODEM_OK) {
        status = read_identity(modem, "AT+CGMM", out->model, sizeof out->model);
    }
    if (status == NCE_MODEM_OK) {
        status = read_identity(modem, ops->firmware_command, out->firmware, sizeof out->firmware);
    }
    if (status == NCE_MODEM_OK) {
        status = read_identity(modem, ops->imei_command, out->imei, sizeof out->imei);
    }
    if (status != NCE_MODEM_OK) {
        return status;
    }
    /* ICCID and IMSI need the SIM; the app reads them again once it is ready. */
    if (sim_command(modem, ops->iccid_command, 2000u) == NCE_MODEM_OK &&
        (value = nce_at_value(&modem->at, ops->iccid_prefix)) != NULL) {
        size_t n = 0;

        while (*value == '"') {
            value++;
        }
        while (n < sizeof out->iccid - 1u && value[n] >= '0' && value[n] <= '9') {
            out->iccid[n] = value[n];
            n++;
        }
        out->iccid[n] = '\0';
    }
    if (sim_command(modem, "AT+CIMI", 2000u) == NCE_MODEM_OK && (value = nce_at_bare(&modem->at)) != NULL) {
        nce_at_strlcpy(out->imsi, value, sizeof out->imsi);
    }
    return NCE_MODEM_OK;
}

nce_modem_status_t nce_modem_sim_ready(nce_modem_t *modem, uint32_t timeout_ms)
{
    nce_modem_status_t status = sim_command(modem, "AT+CPIN?", timeout_ms);
    const char *value;

    if (status != NCE_MODEM_OK) {
        return status;
    }
    value = nce_at_value(&modem->at, "+CPIN:");
    if (value == NULL) {
        nce_modem_fail(modem, "AT+CPIN?", "no +CPIN line", 0);
        return NCE_MODEM_BAD_RESPONSE;
    }
    if (strncmp(value, "READY", 5) == 0) {
        return NCE_MODEM_OK;
    }
    nce_modem_fail(modem, "AT+CPIN?", value, 0);
    return NCE_MODEM_SIM_LOCKED;
}

/* ---- radio, APN, attach ------------------------------------------------------------------ */

nce_modem_status_t nce_modem_set_rat(nce_modem_t *modem, nce_rat_t rat)
{
    nce_modem_status_t status;

    if (modem->ops == NULL) {
        return NCE_MODEM_ARGUMENT;
    }
    modem->attached = 0u;
    status = nce_modem_command(modem, "AT+CFUN=0", 0u);
    return status != NCE_MODEM_OK ? status : modem->ops->set_rat(modem, rat);
}

nce_modem_status_t nce_modem_set_apn(nce_modem_t *modem, const char *apn)
{
    char command[96];
    char text[40];
    nce_modem_status_t status;
    size_t i;
    int cid;

    if (modem->ops == NULL || strlen(apn) > 62u || strchr(apn, '"') != NULL) {
        return NCE_MODEM_ARGUMENT;
    }
    cid = modem->ops->cid;
    nce_at_strlcpy(command, "AT+CGDCONT=", sizeof command);
    command[11] = (char)('0' + cid);
    command[12] = '\0';
    nce_at_strlcpy(command + 12, ",\"IP\",\"", sizeof command - 12u);
    nce_at_strlcpy(command + strlen(command), apn, sizeof command - strlen(command));
    nce_at_strlcpy(command + strlen(command), "\"", sizeof command - strlen(command));
    status = nce_modem_command(modem, command, 0u);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    status = nce_modem_command(modem, "AT+CGDCONT?", 0u);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    for (i = 0; i < nce_at_info_count(&modem->at); i++) {
        const char *line = nce_at_info(&modem->at, i);
        long id;

        if (nce_at_starts_with(line, "+CGDCONT:") && nce_at_field_int(line + 9, 0, &id) == 0 && id == cid) {
            (void)nce_at_field(line + 9, 2, text, sizeof text);
            if (strcmp(text, apn) == 0) {
                return NCE_MODEM_OK;
            }
            nce_modem_fail(modem, "AT+CGDCONT?", "APN read back differs", 0);
            return NCE_MODEM_BAD_RESPONSE;
        }
    }
    nce_modem_fail(modem, "AT+CGDCONT?", "context not listed", 0);
    return NCE_MODEM_BAD_RESPONSE;
}

static nce_rat_t rat_of_act(int act)
{
    return act == 9 ? NCE_RAT_NB_IOT : (act >= 0 && act <= 3) ? NCE_RAT_GSM : NCE_RAT_LTE_M;
}

static void read_operator(nce_modem_t *modem, nce_modem_registration_t *out)
{
    const char *value;
    long act;

    if (nce_modem_command(modem, "AT+COPS=3,2", 0u) != NCE_MODEM_OK ||
        nce_modem_command(modem, "AT+COPS?", 0u) != NCE_MODEM_OK ||
        (value = nce_at_value(&modem->at, "+COPS:")) == NULL) {
        return;
    }
    (void)nce_at_field(value, 2, out->operator_plmn, sizeof out->operator_plmn);
    if (nce_at_field_int(value, 3, &act) == 0) {
        modem->registration_act = (int)act;
    }
}

nce_modem_status_t nce_modem_signal(nce_modem_t *modem, nce_modem_signal_t *out)
{
    nce_modem_status_t status;
    const char *value;
    long field;

    memset(out, 0, sizeof *out);
    out->csq = 99;
    status = nce_modem_command(modem, "AT+CSQ", 0u);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    value = nce_at_value(&modem->at, "+CSQ:");
    if (value != NULL && nce_at_field_int(value, 0, &field) == 0 && field >= 0 && field <= 99) {
        out->csq = (int)field;
    }
    if (nce_modem_command(modem, "AT+CESQ", 0u) != NCE_MODEM_OK) {
        return NCE_MODEM_OK; /* a module without +CESQ still has its CSQ */
    }
    value = nce_at_value(&modem->at, "+CESQ:");
    if (value == NULL) {
        return NCE_MODEM_OK;
    }
    if (nce_at_field_int(value, 4, &field) == 0 && field >= 0 && field <= 34) {
        out->rsrq_db2 = (int)field - 40; /* 0: < -19.5 dB, each step 0.5 dB */
    }
    if (nce_at_field_int(value, 5, &field) == 0 && field >= 0 && field <= 97) {
        out->rsrp_dbm = (int)field - 140; /* as at_commands: -140 + v dBm */
    }
    return NCE_MODEM_OK;
}

nce_modem_status_t nce_modem_attach(nce_modem_t *modem, uint32_t timeout_ms, nce_modem_registration_t *out)
{
    uint32_t start = nce_modem_now(modem);
    uint32_t last_poll = start;
    nce_modem_status_t status;

    memset(out, 0, sizeof *out);
    modem->attached = 0u;
    modem->registration_stat = -1;
    status = nce_modem_command(modem, "AT+CFUN=1", 0u);
    if (status == NCE_MODEM_OK) {
        status = nce_modem_command(modem, "AT+COPS=0", 0u);
    }
    if (status != NCE_MODEM_OK) {
        return status;
    }
    for (;;) {
        uint32_t t = nce_modem_now(modem);

        if (modem->registration_stat == 1 || modem->registration_stat == 5) {
            break;
        }
        if (modem->registration_stat == 3) {
            nce_modem_fail(modem, "+CEREG", "registration denied", modem->reject_cause);
            return NCE_MODEM_DENIED;
        }
        if (t - start >= timeout_ms) {
            nce_modem_fail(modem, "+CEREG", "still searching", modem->registration_stat);
            return NCE_MODEM_NOT_ATTACHED;
        }
        if (t - last_poll >= ATTACH_POLL_MS) {
            const char *value;

            last_poll = t;
            if (nce_modem_command(modem, "AT+CEREG?", 0u) == NCE_MODEM_OK &&
                (value = nce_at_value(&modem->at, "+CEREG:")) != NULL) {
                /* read form: <n>,<stat>,...: skip <n> */
                const char *rest = strchr(value, ',');

                if (rest != NULL) {
                    on_registration(modem, rest + 1);
                }
            }
            continue;
        }
        if (nce_modem_wait(modem, 200u) != NCE_MODEM_OK) {
            return NCE_MODEM_IO;
        }
    }
    read_operator(modem, out);
    out->stat = modem->registration_stat;
    out->rat = rat_of_act(modem->registration_act);
    modem->attached = 1u;
    return NCE_MODEM_OK;
}

nce_modem_status_t nce_modem_pdp_activate(nce_modem_t *modem, char ip[16])
{
    return modem->ops != NULL ? modem->ops->pdp_activate(modem, ip) : NCE_MODEM_ARGUMENT;
}

/* ---- UDP ---------------------------------------------------------------------------------- */

nce_modem_status_t nce_modem_udp_open(nce_modem_t *modem, const char *host, uint16_t port, uint16_t local_port)
{
    if (modem->ops == NULL || strlen(host) >= sizeof modem->remote_host || strchr(host, '"') != NULL) {
        return NCE_MODEM_ARGUMENT;
    }
    return modem->ops->udp_open(modem, host, port, local_port);
}

nce_modem_status_t nce_modem_udp_send(nce_modem_t *modem, const uint8_t *data, size_t len)
{
    if (modem->ops == NULL || modem->socket_id < 0 || len == 0u || len > NCE_AT_BINARY_MAX) {
        return NCE_MODEM_ARGUMENT;
    }
    return modem->ops->udp_send(modem, data, len);
}

nce_modem_status_t nce_modem_udp_receive(nce_modem_t *modem, uint8_t *buf, size_t cap, size_t *received,
                                         uint32_t timeout_ms)
{
    *received = 0u;
    if (modem->ops == NULL || modem->socket_id < 0) {
        return NCE_MODEM_ARGUMENT;
    }
    return modem->ops->udp_receive(modem, buf, cap, received, timeout_ms);
}

nce_modem_status_t nce_modem_udp_close(nce_modem_t *modem)
{
    nce_modem_status_t status;

    if (modem->ops == NULL) {
        return NCE_MODEM_ARGUMENT;
    }
    if (modem->socket_id < 0) {
        return NCE_MODEM_OK;
    }
    status = modem->ops->udp_close(modem);
    modem->socket_id = -1;
    modem->socket_data = 0u;
    return status;
}

/* ---- SMS and events ------------------------------------------------------------------------ */

nce_modem_status_t nce_modem_sms_enable(nce_modem_t *modem)
{
    nce_modem_status_t status;
    char command[32];

    if (modem->ops == NULL) {
        return NCE_MODEM_ARGUMENT;
    }
    status = nce_modem_command(modem, "AT+CMGF=0", 0u);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    if (modem->ops->sms_storage != 0u) {
        (void)nce_modem_command(modem, "AT+CPMS=\"SM\",\"SM\",\"SM\"", 0u);
    }
    nce_at_strlcpy(command, "AT+CNMI=", sizeof command);
    nce_at_strlcpy(command + 8, modem->ops->cnmi, sizeof command - 8u);
    return nce_modem_command(modem, command, 0u);
}

nce_modem_status_t nce_modem_sms_send(nce_modem_t *modem, const char *number, const char *text, int *reference)
{
    static const uint8_t ctrl_z = 0x1Au;
    char pdu[2u * 176u + 1u];
    char command[16] = "AT+CMGS=";
    uint8_t tpdu_len = 0;
    nce_at_options_t options;
    const char *value;
    long mr;
    nce_modem_status_t status;

    *reference = -1;
    if (nce_sms_encode_submit(number, text, pdu, sizeof pdu, &tpdu_len) != NCE_SMS_OK) {
        return NCE_MODEM_ARGUMENT;
    }
    command[8] = (char)('0' + tpdu_len / 100u);
    command[9] = (char)('0' + (tpdu_len / 10u) % 10u);
    command[10] = (char)('0' + tpdu_len % 10u);
    command[11] = '\0';
    memset(&options, 0, sizeof options);
    options.payload = (const uint8_t *)pdu;
    options.payload_len = strlen(pdu);
    options.payload_end = &ctrl_z;
    options.payload_end_len = 1u;
    status = nce_modem_command_ex(modem, command, 0u, &options);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    value = nce_at_value(&modem->at, "+CMGS:");
    if (value != NULL && nce_at_field_int(value, 0, &mr) == 0) {
        *reference = (int)mr;
    }
    return NCE_MODEM_OK;
}

/* "AT+CMGR=" / "AT+CMGD=" with a storage index (0..999). */
static nce_modem_status_t sms_command(nce_modem_t *modem, const char *head, int index)
{
    char command[24];
    size_t len = nce_at_strlcpy(command, head, sizeof command);

    if (index < 0 || index > 999) {
        return NCE_MODEM_ARGUMENT;
    }
    if (index >= 100) {
        command[len++] = (char)('0' + index / 100);
    }
    if (index >= 10) {
        command[len++] = (char)('0' + (index / 10) % 10);
    }
    command[len++] = (char)('0' + index % 10);
    command[len] = '\0';
    return nce_modem_command(modem, command, 0u);
}

nce_modem_status_t nce_modem_poll(nce_modem_t *modem, uint32_t wait_ms, nce_modem_event_t *event)
{
    memset(event, 0, sizeof *event);
    if (modem->event_count == 0u && modem->sms_index_count == 0u && modem->need_cnma == 0u) {
        if (nce_modem_wait(modem, wait_ms) != NCE_MODEM_OK) {
            return NCE_MODEM_IO;
        }
    }
    if (modem->need_cnma != 0u) {
        modem->need_cnma = 0u;
        (void)nce_modem_command(modem, "AT+CNMA=1", 0u);
    }
    /* Stored messages (+CMTI): read each (PDU mode), then delete it so the store never fills. */
    while (modem->sms_index_count > 0u) {
        int index = modem->sms_index[--modem->sms_index_count];

        if (sms_command(modem, "AT+CMGR=", index) == NCE_MODEM_OK) {
            size_t i;
            const char *line;

            for (i = 0; (line = nce_at_info(&modem->at, i)) != NULL; i++) {
                if (!nce_at_starts_with(line, "+CMGR:")) {
                    queue_sms(modem, line);
                    break;
                }
            }
        }
        (void)sms_command(modem, "AT+CMGD=", index);
    }
    if (modem->event_count > 0u) {
        *event = modem->events[modem->event_head];
        modem->event_head = (uint8_t)((modem->event_head + 1u) % NCE_MODEM_EVENT_QUEUE);
        modem->event_count--;
    }
    return NCE_MODEM_OK;
}
