/*
 * nce_app_uplink.c - one uplink round: the template's values, BCL-encoded by the SDK, sent over
 * UDP (Device Integrator, udp_host:udp_port) and as a CoAP POST with Uri-Query t=<topic>
 * (coap_host:coap_port), each logged with its values and the exact bytes sent.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_app.h"
#include "nce_app_internal.h"
#include "nce_bcl.h"
#include "nce_coap.h"
#include "nce_platform.h"
#include "nce_sensor.h"

#ifndef NCE_APP_COAP_ACK_TIMEOUT_MS
#define NCE_APP_COAP_ACK_TIMEOUT_MS 5000u
#endif

typedef struct {
    uint32_t counter;
    uint32_t interval_s;
    int32_t temperature_c10;
    uint32_t humidity;
    uint32_t battery_mv;
    uint32_t uptime_s;
} readings_t;

size_t nce_app_u32_text(char *out, uint32_t value)
{
    char reversed[10];
    size_t n = 0;
    size_t i;

    do {
        reversed[n++] = (char)('0' + (value % 10u));
        value /= 10u;
    } while (value != 0u);
    for (i = 0; i < n; i++) {
        out[i] = reversed[n - 1u - i];
    }
    return n;
}

/* Readings that change every round (a stand-in for sensors, deterministic per counter). */
static void read_sensors(const nce_app_t *app, readings_t *r)
{
    r->counter = app->counter;
    r->interval_s = app->config.uplink_period_s;
    r->temperature_c10 = 180 + (int32_t)((app->counter * 37u) % 90u) - 40;
    r->humidity = 35u + (app->counter * 13u) % 40u;
    r->battery_mv = 3700u - (app->counter % 200u);
    r->uptime_s = (nce_platform_now_ms() - app->boot_ms) / 1000u;
}

static size_t json_key(char *out, size_t at, const char *key)
{
    size_t n = strlen(key);

    if (at > 1u) {
        out[at++] = ',';
    }
    out[at++] = '"';
    memcpy(&out[at], key, n);
    at += n;
    out[at++] = '"';
    out[at++] = ':';
    return at;
}

static size_t json_u32(char *out, size_t at, const char *key, uint32_t value)
{
    at = json_key(out, at, key);
    return at + nce_app_u32_text(&out[at], value);
}

static size_t json_i32(char *out, size_t at, const char *key, int32_t value)
{
    uint32_t magnitude = (uint32_t)value;

    at = json_key(out, at, key);
    if (value < 0) {
        out[at++] = '-';
        magnitude = 0u - magnitude;
    }
    return at + nce_app_u32_text(&out[at], magnitude);
}

/* {"counter":1,...} with the asset names of the template (the Device Inspector's JSON keys). */
static void values_json(const readings_t *r, char out[200])
{
    size_t at = 0;

    out[at++] = '{';
    at = json_u32(out, at, "counter", r->counter);
    at = json_u32(out, at, "interval_s", r->interval_s);
    at = json_i32(out, at, "temperature_c10", r->temperature_c10);
    at = json_u32(out, at, "humidity", r->humidity);
    at = json_u32(out, at, "battery_mv", r->battery_mv);
    at = json_u32(out, at, "uptime_s", r->uptime_s);
    out[at++] = '}';
    out[at] = '\0';
}

static int encode(const readings_t *r, uint8_t *out, size_t cap)
{
    nce_bcl_value_t values[NCE_SENSOR_VALUE_COUNT];

    values[NCE_SENSOR_COUNTER] = NCE_BCL_U(r->counter);
    values[NCE_SENSOR_INTERVAL_S] = NCE_BCL_U(r->interval_s);
    values[NCE_SENSOR_TEMPERATURE_C10] = NCE_BCL_I(r->temperature_c10);
    values[NCE_SENSOR_HUMIDITY] = NCE_BCL_U(r->humidity);
    values[NCE_SENSOR_BATTERY_MV] = NCE_BCL_U(r->battery_mv);
    values[NCE_SENSOR_UPTIME_S] = NCE_BCL_U(r->uptime_s);
    return nce_bcl_encode(&nce_sensor_template, values, NCE_SENSOR_VALUE_COUNT, out, cap);
}

static void log_uplink(const nce_app_t *app, const char *proto, const uint8_t *payload, size_t payload_len,
                       const uint8_t *datagram, size_t len, const char *values, int mid)
{
    nce_log_line_t line;

    nce_log_begin(&line, NCE_LOG_INFO, "uplink");
    nce_log_str(&line, "proto", proto);
    nce_log_u32(&line, "n", app->counter);
    if (mid >= 0) {
        nce_log_str(&line, "topic", app->config.coap_topic);
        nce_log_u32(&line, "mid", (uint32_t)mid);
    }
    nce_log_hex(&line, "payload", payload, payload_len);
    nce_log_hex(&line, "bytes", datagram, len);
    nce_log_u32(&line, "len", (uint32_t)len);
    nce_log_raw(&line, "values", values);
    nce_log_end(&line);
}

static int fail(nce_app_t *app, nce_modem_status_t status, const char *where)
{
    nce_log_error(nce_app_status_name(status), where, app->link->last_error(app->link->ctx));
    (void)app->link->udp_close(app->link->ctx);
    app->state = NCE_APP_STATE_RECOVERING;
    /* Repeated failures of the higher layer escalate: PDP after 2, re-attach after 4, restart after 6. */
    if (app->uplink_failures < 255u) {
        app->uplink_failures++;
    }
    app->stage = app->uplink_failures > 6u   ? NCE_APP_STAGE_RESTART
                 : app->uplink_failures > 4u ? NCE_APP_STAGE_ATTACH
                 : app->uplink_failures > 2u ? NCE_APP_STAGE_PDP
                                             : NCE_APP_STAGE_SOCKET;
    app->stage_failures = 0u;
    return -1;
}

/* A datagram the cloud sent the device (Device Controller): logged, not interpreted. */
static void log_downlink(const uint8_t *data, size_t len)
{
    nce_log_line_t line;

    nce_log_begin(&line, NCE_LOG_INFO, "downlink");
    nce_log_str(&line, "proto", "udp");
    nce_log_u32(&line, "len", (uint32_t)len);
    nce_log_hex(&line, "bytes", data, len);
    nce_log_end(&line);
}

/* 1NCE sends a "send when active" downlink as soon as the device's next uplink arrives, to the
 * port the request names: both uplink sockets listen on NCE_APP_DOWNLINK_PORT and stay open for
 * NCE_APP_DOWNLINK_WINDOW_MS after their exchange. Nothing in the window is no error. */
static void listen_for_downlink(const nce_link_t *link)
{
    uint8_t data[128];
    size_t received = 0;

    if (NCE_APP_DOWNLINK_WINDOW_MS != 0u &&
        link->udp_receive(link->ctx, data, sizeof data, &received, NCE_APP_DOWNLINK_WINDOW_MS) == NCE_MODEM_OK &&
        received != 0u) {
        log_downlink(data, received < sizeof data ? received : sizeof data);
    }
}

static uint16_t listen_port(void)
{
    return NCE_APP_DOWNLINK_WINDOW_MS != 0u ? (uint16_t)NCE_APP_DOWNLINK_PORT : 0u;
}

static int send_udp(nce_app_t *app, const uint8_t *payload, size_t len, const char *values)
{
    const nce_link_t *link = app->link;
    nce_modem_status_t status =
        link->udp_open(link->ctx, app->config.udp_host, app->config.udp_port, listen_port());

    if (status == NCE_MODEM_OK) {
        status = link->udp_send(link->ctx, payload, len);
    }
    if (status != NCE_MODEM_OK) {
        return fail(app, status, "uplink_udp");
    }
    app->uplinks_udp++;
    log_uplink(app, "udp", payload, len, payload, len, values, -1);
    listen_for_downlink(link);
    (void)link->udp_close(link->ctx);
    return 0;
}

static void log_ack(const char *code, uint16_t mid, uint8_t level)
{
    nce_log_line_t line;

    nce_log_begin(&line, level, "uplink_ack");
    nce_log_str(&line, "proto", "coap");
    nce_log_u32(&line, "mid", mid);
    nce_log_str(&line, "code", code);
    nce_log_end(&line);
}

/* Waits for the ACK of a CON uplink (matching message ID); 0 when a 2.xx came. */
static int await_ack(nce_app_t *app, uint16_t mid)
{
    const nce_link_t *link = app->link;
    uint8_t reply[64];
    size_t received = 0;
    nce_coap_message_t msg;
    char code[5];
    uint32_t start = nce_platform_now_ms();

    while (nce_platform_now_ms() - start < NCE_APP_COAP_ACK_TIMEOUT_MS) {
        nce_modem_status_t status =
            link->udp_receive(link->ctx, reply, sizeof reply, &received, NCE_APP_COAP_ACK_TIMEOUT_MS);

        if (status == NCE_MODEM_TIMEOUT) {
            break;
        }
        if (status != NCE_MODEM_OK) {
            return fail(app, status, "uplink_coap_ack");
        }
        memset(&msg, 0, sizeof msg);
        if (nce_coap_parse(reply, received, &msg) != 0) {
            log_downlink(reply, received); /* a plain UDP downlink on the listening port */
            continue;
        }
        if (msg.message_id != mid) {
            continue; /* not ours: keep waiting */
        }
        code[0] = (char)('0' + NCE_COAP_CODE_CLASS(msg.code));
        code[1] = '.';
        code[2] = (char)('0' + NCE_COAP_CODE_DETAIL(msg.code) / 10u);
        code[3] = (char)('0' + NCE_COAP_CODE_DETAIL(msg.code) % 10u);
        code[4] = '\0';
        if (NCE_COAP_CODE_CLASS(msg.code) == 2u) {
            log_ack(code, mid, NCE_LOG_INFO);
            return 0;
        }
        log_ack(code, mid, NCE_LOG_WARN);
        return fail(app, NCE_MODEM_BAD_RESPONSE, "uplink_coap_ack");
    }
    log_ack("none", mid, NCE_LOG_WARN);
    return fail(app, NCE_MODEM_TIMEOUT, "uplink_coap_ack");
}

static int send_coap(nce_app_t *app, const uint8_t *payload, size_t len, const char *values)
{
    const nce_link_t *link = app->link;
    uint8_t message[128];
    uint16_t mid = ++app->coap_message_id;
    uint8_t token[2];
    int n;
    nce_modem_status_t status;

    token[0] = (uint8_t)(mid >> 8);
    token[1] = (uint8_t)mid;
    n = nce_coap_build_uplink(message, sizeof message, NCE_COAP_CON, mid, token, sizeof token,
                              app->config.coap_topic, payload, len);
    if (n < 0) {
        nce_log_error("coap_build", "uplink_coap", NULL);
        return -1;
    }
    status = link->udp_open(link->ctx, app->config.coap_host, app->config.coap_port, listen_port());
    if (status == NCE_MODEM_OK) {
        status = link->udp_send(link->ctx, message, (size_t)n);
    }
    if (status != NCE_MODEM_OK) {
        return fail(app, status, "uplink_coap");
    }
    app->uplinks_coap++;
    log_uplink(app, "coap", payload, len, message, (size_t)n, values, mid);
    if (await_ack(app, mid) != 0) {
        return -1;
    }
    listen_for_downlink(link);
    (void)link->udp_close(link->ctx);
    return 0;
}

int nce_app_uplink_round(nce_app_t *app)
{
    readings_t r;
    uint8_t payload[32];
    char values[200];
    int len;

    if (app->state != NCE_APP_STATE_CONNECTED) {
        return -1;
    }
    app->counter++;
    app->last_round_ms = nce_platform_now_ms();
    app->next_uplink_ms = app->last_round_ms + app->config.uplink_period_s * 1000u;
    app->pending_uplink = 0u;
    read_sensors(app, &r);
    len = encode(&r, payload, sizeof payload);
    if (len < 0) {
        nce_log_line_t line;

        nce_log_begin(&line, NCE_LOG_ERROR, "error");
        nce_log_str(&line, "cause", "bcl_encode");
        nce_log_str(&line, "where", "uplink");
        nce_log_i32(&line, "code", len);
        nce_log_end(&line);
        return -1;
    }
    values_json(&r, values);
    if ((app->config.flags & NCE_CONFIG_FLAG_UDP) != 0u && send_udp(app, payload, (size_t)len, values) != 0) {
        return -1;
    }
    if ((app->config.flags & NCE_CONFIG_FLAG_COAP) != 0u && send_coap(app, payload, (size_t)len, values) != 0) {
        return -1;
    }
    app->uplink_failures = 0u;
    app->attempts = 0u; /* a good round ends the recovery: the back-off starts over */
    return 0;
}
