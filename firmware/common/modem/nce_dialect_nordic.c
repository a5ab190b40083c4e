/*
 * nce_dialect_nordic.c - nRF91 with the Serial LTE Modem: %XSYSTEMMODE, the default bearer
 * (cid 0), #XSOCKET / #XSENDTO in data mode ("+++") / #XRECVFROM (at_commands/dialects/nordic.py).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_at.h"
#include "nce_modem.h"
#include "nce_modem_internal.h"

static void append(char *out, size_t cap, const char *text)
{
    size_t n = strlen(out);

    nce_at_strlcpy(out + n, text, cap - n);
}

static void append_u(char *out, size_t cap, unsigned long value)
{
    char digits[12];
    size_t n = sizeof digits - 1u;

    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u && n > 0u);
    append(out, cap, digits + n);
}

static nce_modem_status_t nordic_set_rat(nce_modem_t *m, nce_rat_t rat)
{
    if (rat == NCE_RAT_GSM) {
        return NCE_MODEM_ARGUMENT;
    }
    return nce_modem_command(m, rat == NCE_RAT_NB_IOT ? "AT%XSYSTEMMODE=0,1,0,0" : "AT%XSYSTEMMODE=1,0,0,0", 0u);
}

static nce_modem_status_t nordic_pdp(nce_modem_t *m, char ip[16])
{
    nce_modem_status_t s = nce_modem_command(m, "AT+CGACT?", 0u);
    const char *value;
    int active = 0;
    size_t i;

    if (s != NCE_MODEM_OK) {
        return s;
    }
    for (i = 0; i < nce_at_info_count(&m->at); i++) {
        const char *line = nce_at_info(&m->at, i);
        long cid;
        long state;

        if (nce_at_starts_with(line, "+CGACT:") && nce_at_field_int(line + 7, 0, &cid) == 0 && cid == 0 &&
            nce_at_field_int(line + 7, 1, &state) == 0 && state == 1) {
            active = 1;
        }
    }
    if (!active) {
        s = nce_modem_command(m, "AT+CGACT=1,0", 0u);
        if (s == NCE_MODEM_CME || s == NCE_MODEM_ERROR) {
            return NCE_MODEM_PDP_REJECTED;
        }
        if (s != NCE_MODEM_OK) {
            return s;
        }
    }
    s = nce_modem_command(m, "AT+CGPADDR=0", 0u);
    if (s != NCE_MODEM_OK) {
        return s;
    }
    value = nce_at_value(&m->at, "+CGPADDR:");
    if (value == NULL || nce_at_field(value, 1, ip, 16) <= 0 || strncmp(ip, "0.0.0.0", 7) == 0) {
        nce_modem_fail(m, "AT+CGPADDR=0", "no IP address", 0);
        return NCE_MODEM_PDP_REJECTED;
    }
    return NCE_MODEM_OK;
}

static nce_modem_status_t nordic_udp_open(nce_modem_t *m, const char *host, uint16_t port, uint16_t local_port)
{
    nce_modem_status_t s = nce_modem_command(m, "AT#XSOCKET=1,2,0", 0u);
    const char *value;
    long handle;

    if (s != NCE_MODEM_OK) {
        return s == NCE_MODEM_ERROR ? NCE_MODEM_SOCKET : s;
    }
    value = nce_at_value(&m->at, "#XSOCKET:");
    if (value == NULL || nce_at_field_int(value, 0, &handle) != 0 || handle < 0) {
        nce_modem_fail(m, "AT#XSOCKET=1,2,0", "no handle", 0);
        return NCE_MODEM_SOCKET;
    }
    m->socket_id = (int)handle;
    if (local_port != 0u) {
        char bind[24] = "AT#XBIND=";

        append_u(bind, sizeof bind, local_port);
        s = nce_modem_command(m, bind, 0u);
        if (s != NCE_MODEM_OK) {
            (void)nce_modem_command(m, "AT#XSOCKET=0", 0u);
            m->socket_id = -1;
            return s == NCE_MODEM_ERROR ? NCE_MODEM_SOCKET : s;
        }
    }
    nce_at_strlcpy(m->remote_host, host, sizeof m->remote_host);
    m->remote_port = port;
    return NCE_MODEM_OK;
}

static nce_modem_status_t nordic_udp_send(nce_modem_t *m, const uint8_t *data, size_t len)
{
    static const uint8_t exit_data_mode[3] = {'+', '+', '+'};
    char command[96] = "AT#XSENDTO=\"";
    nce_at_options_t options;
    nce_modem_status_t s;
    size_t i;

    /* Data mode ends at "+++": a payload holding it cannot go this way. */
    for (i = 0; i + 2u < len; i++) {
        if (data[i] == '+' && data[i + 1u] == '+' && data[i + 2u] == '+') {
            nce_modem_fail(m, "AT#XSENDTO", "payload contains +++", 0);
            return NCE_MODEM_ARGUMENT;
        }
    }
    append(command, sizeof command, m->remote_host);
    append(command, sizeof command, "\",");
    append_u(command, sizeof command, m->remote_port);
    memset(&options, 0, sizeof options);
    options.payload = data;
    options.payload_len = len;
    options.payload_end = exit_data_mode;
    options.payload_end_len = sizeof exit_data_mode;
    options.no_prompt = 1u;
    s = nce_modem_command_ex(m, command, 0u, &options);
    return (s == NCE_MODEM_ERROR || s == NCE_MODEM_CME) ? NCE_MODEM_SOCKET : s;
}

static nce_modem_status_t nordic_udp_receive(nce_modem_t *m, uint8_t *buf, size_t cap, size_t *received,
                                             uint32_t timeout_ms)
{
    char command[32] = "AT#XRECVFROM=";
    uint32_t seconds = (timeout_ms + 999u) / 1000u;
    nce_at_options_t options;
    nce_modem_status_t s;

    if (seconds == 0u) {
        seconds = 1u;
    }
    append_u(command, sizeof command, seconds);
    memset(&options, 0, sizeof options);
    options.binary = buf;
    options.binary_cap = cap;
    s = nce_modem_command_ex(m, command, seconds * 1000u + 5000u, &options);
    if (s == NCE_MODEM_ERROR || s == NCE_MODEM_CME || (s == NCE_MODEM_OK && !nce_at_binary_seen(&m->at))) {
        nce_modem_fail(m, command, "no datagram", 0);
        return NCE_MODEM_TIMEOUT; /* SLM answers ERROR when nothing came in time */
    }
    if (s != NCE_MODEM_OK) {
        return s;
    }
    *received = nce_at_binary_len(&m->at) < cap ? nce_at_binary_len(&m->at) : cap;
    return NCE_MODEM_OK;
}

static nce_modem_status_t nordic_udp_close(nce_modem_t *m)
{
    return nce_modem_command(m, "AT#XSOCKET=0", 0u);
}

const struct nce_dialect_ops nce_dialect_nordic = {
    "nordic", 0, "AT+CGMR", "AT+CGSN=1", "AT%XICCID", "%XICCID:", "3,2,0,1", 0u,
    nordic_set_rat, nordic_pdp, nordic_udp_open, nordic_udp_send, nordic_udp_receive,
    nordic_udp_close};
