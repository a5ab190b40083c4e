/*
 * nce_app.c - the app's state machine: boot, bring-up, staged recovery with back-off, events,
 * configuration text, the bounded run, and the bare-metal superloop.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_app.h"
#include "nce_app_internal.h"
#include "nce_coap.h"
#include "nce_platform.h"

#ifdef NCE_APP_DEMO_CONFIG
#include NCE_APP_DEMO_CONFIG /* the port's demo selection: NCE_APP_FLAGS_MASK */
#endif
#ifndef NCE_APP_FLAGS_MASK
#define NCE_APP_FLAGS_MASK 0xFFu
#endif

#ifndef NCE_APP_SYNC_TIMEOUT_MS
#define NCE_APP_SYNC_TIMEOUT_MS 20000u
#endif
#ifndef NCE_APP_SIM_TIMEOUT_MS
#define NCE_APP_SIM_TIMEOUT_MS 10000u
#endif
#ifndef NCE_APP_ATTACH_TIMEOUT_MS
#define NCE_APP_ATTACH_TIMEOUT_MS 60000u
#endif
/* Failures at one recovery stage before escalating to the next. */
#ifndef NCE_APP_FAILURES_PER_STAGE
#define NCE_APP_FAILURES_PER_STAGE 2u
#endif

static const char *const s_stage_names[] = {"socket", "pdp", "attach", "restart"};
static const char *const s_rat_names[] = {"lte-m", "nb-iot", "gsm"};

const char *nce_app_status_name(nce_modem_status_t status)
{
    switch (status) {
    case NCE_MODEM_OK:
        return "ok";
    case NCE_MODEM_TIMEOUT:
        return "timeout";
    case NCE_MODEM_ERROR:
        return "error";
    case NCE_MODEM_CME:
        return "cme";
    case NCE_MODEM_CMS:
        return "cms";
    case NCE_MODEM_REBOOTED:
        return "rebooted";
    case NCE_MODEM_BAD_RESPONSE:
        return "bad_response";
    case NCE_MODEM_NO_SIM:
        return "no_sim";
    case NCE_MODEM_SIM_LOCKED:
        return "sim_locked";
    case NCE_MODEM_DENIED:
        return "denied";
    case NCE_MODEM_NOT_ATTACHED:
        return "not_attached";
    case NCE_MODEM_PDP_REJECTED:
        return "pdp_rejected";
    case NCE_MODEM_SOCKET:
        return "socket";
    case NCE_MODEM_ARGUMENT:
        return "argument";
    case NCE_MODEM_IO:
        return "io";
    default:
        return "unknown";
    }
}

static const char *config_source(int reason)
{
    static const char *const names[] = {
        "stamped",
        "defaults (absent)",
        "defaults (corrupt: magic)",
        "defaults (corrupt: version)",
        "defaults (corrupt: size)",
        "defaults (corrupt: crc)",
        "defaults (corrupt: text)",
        "defaults (corrupt: value)",
    };
    int index = -reason;

    return index >= 0 && index < (int)(sizeof names / sizeof names[0]) ? names[index] : "defaults";
}

static void log_endpoint(nce_log_line_t *line, const char *key, const char *host, uint16_t port)
{
    char text[64];
    size_t n = strlen(host);

    if (n > sizeof text - 7u) {
        n = sizeof text - 7u;
    }
    memcpy(text, host, n);
    text[n++] = ':';
    n += nce_app_u32_text(&text[n], port);
    text[n] = '\0';
    nce_log_str(line, key, text);
}

void nce_app_init(nce_app_t *app, const nce_link_t *link)
{
    nce_log_line_t line;
    int reason;

    memset(app, 0, sizeof *app);
    app->link = link;
    app->boot_ms = nce_platform_now_ms();
    reason = nce_app_config_parse(nce_platform_config_block(), &app->config);
    if (reason != 0) {
        nce_app_config_defaults(&app->config);
    }
    app->config.flags = (uint8_t)(app->config.flags & (NCE_APP_FLAGS_MASK));
    /* Message IDs start at a random point so that a reboot does not repeat the last ones. */
    app->coap_message_id = (uint16_t)(nce_platform_random() & 0x7FFFu);
    app->state = NCE_APP_STATE_BOOT;
    app->stage = NCE_APP_STAGE_RESTART;
    nce_log_set_level(NCE_LOG_DEBUG); /* boot is always written */
    nce_log_begin(&line, NCE_LOG_INFO, "boot");
    nce_log_str(&line, "version", NCE_APP_VERSION);
    nce_log_str(&line, "board", NCE_APP_BOARD);
    nce_log_str(&line, "config", config_source(reason));
    nce_log_u32(&line, "period_s", app->config.uplink_period_s);
    nce_log_u32(&line, "log_level", app->config.log_level);
    nce_log_u32(&line, "flags", app->config.flags);
    nce_log_str(&line, "template", app->config.template_name);
    nce_log_str(&line, "topic", app->config.coap_topic);
    nce_log_u32(&line, "run_for_s", app->config.run_for_s);
    log_endpoint(&line, "udp", app->config.udp_host, app->config.udp_port);
    log_endpoint(&line, "coap", app->config.coap_host, app->config.coap_port);
    nce_log_end(&line);
    nce_log_set_level(app->config.log_level);
}

void nce_app_set_sms_handler(nce_app_t *app, nce_app_sms_handler_t handler, void *user)
{
    app->sms_handler = handler;
    app->sms_user = user;
}

int nce_app_time_is_up(const nce_app_t *app)
{
    return app->config.run_for_s != 0u &&
           nce_platform_now_ms() - app->boot_ms >= (uint32_t)app->config.run_for_s * 1000u;
}

void nce_app_finish(const nce_app_t *app)
{
    nce_log_line_t line;
    int ok = (app->bootstrapped || (app->config.flags & NCE_CONFIG_FLAG_BOOTSTRAP) == 0u) &&
             (app->uplinks_udp > 0u || (app->config.flags & NCE_CONFIG_FLAG_UDP) == 0u) &&
             (app->uplinks_coap > 0u || (app->config.flags & NCE_CONFIG_FLAG_COAP) == 0u);
    int status = ok ? 0 : 1;

    nce_log_set_level(NCE_LOG_DEBUG); /* done is always written */
    nce_log_begin(&line, NCE_LOG_INFO, "done");
    nce_log_u32(&line, "status", (uint32_t)status);
    nce_log_u32(&line, "bootstrapped", app->bootstrapped);
    nce_log_u32(&line, "udp", app->uplinks_udp);
    nce_log_u32(&line, "coap", app->uplinks_coap);
    nce_log_u32(&line, "counter", app->counter);
    nce_log_end(&line);
    nce_platform_exit(status);
}

/* Sleeps ms, waking early (returns 1) when the bounded run ends meanwhile. */
static int sleep_unless_done(const nce_app_t *app, uint32_t ms)
{
    while (ms > 0u) {
        uint32_t step = ms < 500u ? ms : 500u;

        if (nce_app_time_is_up(app)) {
            return 1;
        }
        nce_platform_sleep_ms(step);
        ms -= step;
    }
    return nce_app_time_is_up(app);
}

static int iccid_matches(const char *expected, const char *actual)
{
    size_t n = strlen(expected);

    /* A 19-digit ICCID matches the same ICCID reported with its Luhn digit. */
    if (n == 0u) {
        return 1;
    }
    return strncmp(expected, actual, n < 19u ? n : 19u) == 0 && strlen(actual) >= 19u;
}

static nce_modem_status_t bring_up_modem(nce_app_t *app, const char **where)
{
    const nce_link_t *link = app->link;
    nce_modem_status_t status;
    nce_log_line_t line;

    *where = "sync";
    status = link->restart(link->ctx, NCE_APP_SYNC_TIMEOUT_MS);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    *where = "identity";
    status = link->identity(link->ctx, &app->identity);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    nce_log_begin(&line, NCE_LOG_INFO, "modem");
    nce_log_str(&line, "link", link->name(link->ctx));
    nce_log_quoted(&line, "manufacturer", app->identity.manufacturer);
    nce_log_quoted(&line, "model", app->identity.model);
    nce_log_quoted(&line, "firmware", app->identity.firmware);
    nce_log_str(&line, "imei", app->identity.imei);
    nce_log_str(&line, "iccid", app->identity.iccid);
    nce_log_str(&line, "imsi", app->identity.imsi);
    nce_log_end(&line);
    *where = "sim";
    status = link->sim_ready(link->ctx, NCE_APP_SIM_TIMEOUT_MS);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    if (app->identity.iccid[0] == '\0') {
        /* Some modems read the ICCID only once the SIM is ready. */
        (void)link->identity(link->ctx, &app->identity);
    }
    nce_log_begin(&line, NCE_LOG_INFO, "sim");
    nce_log_str(&line, "iccid", app->identity.iccid);
    nce_log_str(&line, "expected", app->config.expected_iccid[0] != '\0' ? app->config.expected_iccid : "any");
    nce_log_end(&line);
    if (!iccid_matches(app->config.expected_iccid, app->identity.iccid)) {
        *where = "sim";
        return NCE_MODEM_ARGUMENT; /* logged as iccid_mismatch by the caller */
    }
    *where = "configure";
    status = link->configure(link->ctx, NCE_RAT_LTE_M, app->config.apn);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    *where = "sms";
    return link->sms_enable(link->ctx);
}

/* "signal csq=.. rssi=.. rsrp=.. rsrq=..": informational, so a module that cannot tell is no error.
 * rsrq is written in whole and half dB ("-10.5"); unknown values are left out. */
static void log_signal(const nce_link_t *link)
{
    nce_modem_signal_t signal;
    nce_log_line_t line;
    char rsrq[8];

    if (link->signal == NULL || link->signal(link->ctx, &signal) != NCE_MODEM_OK) {
        return;
    }
    nce_log_begin(&line, NCE_LOG_INFO, "signal");
    nce_log_i32(&line, "csq", signal.csq);
    if (signal.csq >= 0 && signal.csq <= 31) {
        nce_log_i32(&line, "rssi", -113 + 2 * signal.csq);
    }
    if (signal.rsrp_dbm != 0) {
        nce_log_i32(&line, "rsrp", signal.rsrp_dbm);
    }
    if (signal.rsrq_db2 != 0) {
        int whole = -signal.rsrq_db2 / 2;
        size_t n = 0;

        rsrq[n++] = '-';
        if (whole >= 10) {
            rsrq[n++] = (char)('0' + whole / 10);
        }
        rsrq[n++] = (char)('0' + whole % 10);
        if (signal.rsrq_db2 % 2 != 0) {
            rsrq[n++] = '.';
            rsrq[n++] = '5';
        }
        rsrq[n] = '\0';
        nce_log_str(&line, "rsrq", rsrq);
    }
    nce_log_end(&line);
}

static nce_modem_status_t bring_up_attach(nce_app_t *app, const char **where)
{
    const nce_link_t *link = app->link;
    nce_modem_status_t status;
    nce_log_line_t line;

    *where = "attach";
    status = link->attach(link->ctx, NCE_APP_ATTACH_TIMEOUT_MS, &app->registration);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    nce_log_begin(&line, NCE_LOG_INFO, "attached");
    nce_log_i32(&line, "stat", app->registration.stat);
    nce_log_str(&line, "rat", (unsigned)app->registration.rat < 3u ? s_rat_names[app->registration.rat] : "unknown");
    nce_log_str(&line, "operator", app->registration.operator_plmn[0] != '\0' ? app->registration.operator_plmn : "unknown");
    nce_log_end(&line);
    log_signal(link);
    return NCE_MODEM_OK;
}

static nce_modem_status_t bring_up_pdp(nce_app_t *app, const char **where)
{
    nce_modem_status_t status;
    nce_log_line_t line;

    *where = "pdp";
    status = app->link->pdp_activate(app->link->ctx, app->ip);
    if (status != NCE_MODEM_OK) {
        return status;
    }
    nce_log_begin(&line, NCE_LOG_INFO, "pdp");
    nce_log_str(&line, "ip", app->ip);
    nce_log_end(&line);
    return NCE_MODEM_OK;
}

/* Where a failure puts the next attempt: the lowest stage that redoes the failed step. */
static nce_app_stage_t stage_for(const char *where)
{
    if (strcmp(where, "attach") == 0) {
        return NCE_APP_STAGE_ATTACH;
    }
    if (strcmp(where, "pdp") == 0) {
        return NCE_APP_STAGE_PDP;
    }
    if (strcmp(where, "auth") == 0) {
        return NCE_APP_STAGE_SOCKET;
    }
    return NCE_APP_STAGE_RESTART;
}

/* 2 s doubled per attempt up to the ceiling, +-25 % jitter (never 0, never a tight loop). */
static uint32_t backoff_ms(uint32_t attempt)
{
    uint32_t delay = NCE_APP_BACKOFF_BASE_MS;
    uint32_t i;

    for (i = 1u; i < attempt && delay < NCE_APP_BACKOFF_MAX_MS; i++) {
        delay *= 2u;
    }
    if (delay > NCE_APP_BACKOFF_MAX_MS) {
        delay = NCE_APP_BACKOFF_MAX_MS;
    }
    return delay - delay / 4u + nce_platform_random() % (delay / 2u + 1u);
}

static void escalate(nce_app_t *app, nce_app_stage_t needed)
{
    if (needed > app->stage) {
        app->stage = needed;
        app->stage_failures = 0u;
    }
    app->stage_failures++;
    if (app->stage_failures > NCE_APP_FAILURES_PER_STAGE && app->stage < NCE_APP_STAGE_RESTART) {
        app->stage = (nce_app_stage_t)(app->stage + 1);
        app->stage_failures = 1u;
    }
}

int nce_app_connect(nce_app_t *app)
{
    const char *cause = "recovery";

    while (app->state != NCE_APP_STATE_CONNECTED) {
        const char *where = "sync";
        nce_modem_status_t status = NCE_MODEM_OK;
        nce_app_stage_t stage = app->stage;

        if (app->state == NCE_APP_STATE_RECOVERING) {
            nce_log_line_t line;

            app->attempts++;
            app->backoff_ms = backoff_ms(app->attempts);
            nce_log_begin(&line, NCE_LOG_WARN, "recovery");
            nce_log_str(&line, "stage", s_stage_names[stage]);
            nce_log_u32(&line, "attempt", app->attempts);
            nce_log_u32(&line, "backoff_ms", app->backoff_ms);
            nce_log_str(&line, "cause", cause);
            nce_log_end(&line);
            if (sleep_unless_done(app, app->backoff_ms)) {
                return 1;
            }
        } else if (nce_app_time_is_up(app)) {
            return 1;
        }
        if (stage >= NCE_APP_STAGE_RESTART) {
            status = bring_up_modem(app, &where);
        }
        if (status == NCE_MODEM_OK && stage >= NCE_APP_STAGE_ATTACH) {
            status = bring_up_attach(app, &where);
        }
        if (status == NCE_MODEM_OK && stage >= NCE_APP_STAGE_PDP) {
            status = bring_up_pdp(app, &where);
        }
        if (status == NCE_MODEM_OK && (app->config.flags & NCE_CONFIG_FLAG_BOOTSTRAP) != 0u &&
            !app->bootstrapped) {
            where = "auth";
            status = nce_app_bootstrap(app) == 0 ? NCE_MODEM_OK : NCE_MODEM_SOCKET;
            cause = "auth";
        } else if (status != NCE_MODEM_OK) {
            int mismatch = status == NCE_MODEM_ARGUMENT && strcmp(where, "sim") == 0;

            cause = mismatch ? "iccid_mismatch" : nce_app_status_name(status);
            nce_log_error(cause, where, mismatch ? NULL : app->link->last_error(app->link->ctx));
        }
        if (status == NCE_MODEM_OK) {
            nce_log_line_t line;

            app->state = NCE_APP_STATE_CONNECTED;
            app->stage = NCE_APP_STAGE_SOCKET;
            app->stage_failures = 0u;
            nce_log_begin(&line, NCE_LOG_INFO, "connected");
            nce_log_u32(&line, "after_ms", nce_platform_now_ms() - app->boot_ms);
            nce_log_u32(&line, "attempts", app->attempts);
            nce_log_end(&line);
            return 0;
        }
        app->state = NCE_APP_STATE_RECOVERING;
        escalate(app, stage_for(where));
    }
    return 0;
}

int nce_app_uplink_due(const nce_app_t *app)
{
    return app->state == NCE_APP_STATE_CONNECTED && nce_app_uplink_wait_ms(app) == 0u;
}

uint32_t nce_app_uplink_wait_ms(const nce_app_t *app)
{
    uint32_t now = nce_platform_now_ms();

    if (app->counter == 0u || app->pending_uplink) {
        return 0u;
    }
    /* Signed distance: next_uplink_ms may lie in the past. */
    if ((int32_t)(app->next_uplink_ms - now) <= 0) {
        return 0u;
    }
    return app->next_uplink_ms - now;
}

static void recover_from(nce_app_t *app, nce_app_stage_t stage)
{
    app->state = NCE_APP_STATE_RECOVERING;
    if (stage > app->stage) {
        app->stage = stage;
        app->stage_failures = 0u;
    }
}

static void log_link_event(const char *kind, int value)
{
    nce_log_line_t line;

    nce_log_begin(&line, NCE_LOG_WARN, "link_event");
    nce_log_str(&line, "kind", kind);
    nce_log_i32(&line, "value", value);
    nce_log_end(&line);
}

static void handle_event(nce_app_t *app, const nce_modem_event_t *event)
{
    nce_log_line_t line;

    switch (event->kind) {
    case NCE_MODEM_EVENT_SMS:
        nce_log_begin(&line, NCE_LOG_INFO, "sms");
        nce_log_str(&line, "from", event->sender[0] != '\0' ? event->sender : "unknown");
        nce_log_quoted(&line, "text", event->text);
        nce_log_end(&line);
        nce_at_strlcpy(app->sms_sender, event->sender, sizeof app->sms_sender);
        if (app->sms_handler == NULL || app->sms_handler(app->sms_user, event->sender, event->text) != 0) {
            (void)nce_app_configure(app, event->text);
        }
        break;
    case NCE_MODEM_EVENT_REGISTRATION:
        if (event->value != 1 && event->value != 5) {
            log_link_event("registration", event->value);
            recover_from(app, NCE_APP_STAGE_ATTACH);
        }
        break;
    case NCE_MODEM_EVENT_PDP_DOWN:
        log_link_event("pdp_down", event->value);
        recover_from(app, NCE_APP_STAGE_PDP);
        break;
    case NCE_MODEM_EVENT_REBOOT:
        log_link_event("reboot", event->value);
        recover_from(app, NCE_APP_STAGE_RESTART);
        break;
    default:
        break;
    }
}

int nce_app_poll(nce_app_t *app, uint32_t wait_ms)
{
    const nce_link_t *link = app->link;
    nce_modem_event_t event;
    int handled = 0;
    nce_modem_status_t status;

    memset(&event, 0, sizeof event);
    status = link->poll(link->ctx, wait_ms, &event);
    while (status == NCE_MODEM_OK && event.kind != NCE_MODEM_EVENT_NONE) {
        handle_event(app, &event);
        handled++;
        memset(&event, 0, sizeof event);
        status = link->poll(link->ctx, 0u, &event);
    }
    if (status != NCE_MODEM_OK && status != NCE_MODEM_TIMEOUT) {
        nce_log_error(nce_app_status_name(status), "poll", link->last_error(link->ctx));
        recover_from(app, status == NCE_MODEM_REBOOTED ? NCE_APP_STAGE_RESTART : NCE_APP_STAGE_SOCKET);
    }
    return handled;
}

/* Parses a decimal number in [lo, hi] from text[0..len). */
static int parse_number(const char *text, size_t len, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint32_t value = 0;
    size_t i;

    if (len == 0u || len > 6u) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
        value = value * 10u + (uint32_t)(text[i] - '0');
    }
    if (value < lo || value > hi) {
        return -1;
    }
    *out = value;
    return 0;
}

static int key_is(const char *text, size_t key_len, const char *key)
{
    return strlen(key) == key_len && strncmp(text, key, key_len) == 0;
}

static void log_config(const char *key, const char *value, size_t len)
{
    nce_log_line_t line;
    char text[24];

    if (len >= sizeof text) {
        len = sizeof text - 1u;
    }
    memcpy(text, value, len);
    text[len] = '\0';
    nce_log_begin(&line, NCE_LOG_INFO, "config");
    nce_log_str(&line, key, text);
    nce_log_str(&line, "source", "sms");
    nce_log_end(&line);
}

static void reject(const char *setting, size_t len)
{
    nce_log_line_t line;
    char text[40];

    if (len >= sizeof text) {
        len = sizeof text - 1u;
    }
    memcpy(text, setting, len);
    text[len] = '\0';
    nce_log_begin(&line, NCE_LOG_ERROR, "error");
    nce_log_str(&line, "cause", "bad_config_text");
    nce_log_str(&line, "where", "config");
    nce_log_quoted(&line, "setting", text);
    nce_log_end(&line);
}

/* One "key=value" setting; 0 when applied. */
/* "status": an MO SMS back to the last MT SMS's sender with what the device is doing
 * (logged as "sms_sent to text mr", or an error with its cause). */
static int reply_status(nce_app_t *app)
{
    const nce_link_t *link = app->link;
    char text[96];
    char number[12];
    int reference = -1;
    nce_modem_status_t status;
    nce_log_line_t line;

    if (link->sms_send == NULL || app->sms_sender[0] == '\0') {
        nce_log_error(link->sms_send == NULL ? "unsupported" : "no_sender", "sms_status", NULL);
        return -1;
    }
    (void)nce_at_strlcpy(text, "status counter=", sizeof text);
    number[nce_app_u32_text(number, app->counter)] = '\0';
    (void)nce_at_strlcpy(text + strlen(text), number, sizeof text - strlen(text));
    (void)nce_at_strlcpy(text + strlen(text), " interval=", sizeof text - strlen(text));
    number[nce_app_u32_text(number, app->config.uplink_period_s)] = '\0';
    (void)nce_at_strlcpy(text + strlen(text), number, sizeof text - strlen(text));
    (void)nce_at_strlcpy(text + strlen(text), " version=" NCE_APP_VERSION, sizeof text - strlen(text));
    status = link->sms_send(link->ctx, app->sms_sender, text, &reference);
    if (status != NCE_MODEM_OK) {
        nce_log_error(nce_app_status_name(status), "sms_status", link->last_error(link->ctx));
        return -1;
    }
    nce_log_begin(&line, NCE_LOG_INFO, "sms_sent");
    nce_log_str(&line, "to", app->sms_sender);
    nce_log_quoted(&line, "text", text);
    nce_log_i32(&line, "mr", reference);
    nce_log_end(&line);
    return 0;
}

static int apply_setting(nce_app_t *app, const char *text, size_t len)
{
    size_t eq = 0;
    const char *value;
    size_t value_len;
    uint32_t number;

    while (eq < len && text[eq] != '=') {
        eq++;
    }
    if (eq == len) {
        return key_is(text, len, "status") ? reply_status(app) : -1;
    }
    value = &text[eq + 1u];
    value_len = len - eq - 1u;
    if (key_is(text, eq, "interval") && parse_number(value, value_len, 1u, 86400u, &number) == 0) {
        uint32_t now = nce_platform_now_ms();

        app->config.uplink_period_s = number;
        /* The next round follows the new period counted from the last one (now if overdue). */
        app->next_uplink_ms = app->last_round_ms + number * 1000u;
        if ((int32_t)(app->next_uplink_ms - now) < 0) {
            app->next_uplink_ms = now;
        }
        log_config("interval", value, value_len);
        return 0;
    }
    if (key_is(text, eq, "loglevel") && parse_number(value, value_len, 0u, 3u, &number) == 0) {
        app->config.log_level = (uint8_t)number;
        log_config("loglevel", value, value_len);
        nce_log_set_level(app->config.log_level);
        return 0;
    }
    if (key_is(text, eq, "topic") && value_len > 0u && value_len < sizeof app->config.coap_topic) {
        char topic[sizeof app->config.coap_topic];

        memcpy(topic, value, value_len);
        topic[value_len] = '\0';
        if (nce_coap_check_topic(topic) == 0) {
            memcpy(app->config.coap_topic, topic, sizeof topic);
            log_config("topic", value, value_len);
            return 0;
        }
    }
    return -1;
}

int nce_app_configure(nce_app_t *app, const char *text)
{
    int result = 0;
    size_t start = 0;
    size_t i = 0;

    for (;;) {
        char c = text[i];

        if (c == '\0' || c == ';' || c == ' ' || c == '\n' || c == '\r') {
            if (i > start && apply_setting(app, &text[start], i - start) != 0) {
                reject(&text[start], i - start);
                result = -1;
            }
            if (c == '\0') {
                break;
            }
            start = i + 1u;
        }
        i++;
    }
    if (i == 0u) {
        reject(text, 0u);
        return -1;
    }
    return result;
}

void nce_app_run(nce_app_t *app)
{
    for (;;) {
        if (nce_app_time_is_up(app)) {
            nce_app_finish(app);
        }
        if (app->state != NCE_APP_STATE_CONNECTED) {
            (void)nce_app_connect(app);
            continue;
        }
        if (nce_app_uplink_due(app)) {
            (void)nce_app_uplink_round(app);
            /* Events that came during the round (an SMS, a detach) are handled before the next
             * one, even when rounds take longer than the period. */
            (void)nce_app_poll(app, 0u);
            continue;
        }
        {
            uint32_t wait = nce_app_uplink_wait_ms(app);

            (void)nce_app_poll(app, wait < 1000u ? wait : 1000u);
        }
    }
}
