/*
 * nce_dialect_quectel.c - Quectel BG95 / BG96: QCFG RAT selection, QICSGP/QIACT PDP, the
 * QIOPEN/QISEND/QIRD UDP service in buffer access mode (at_commands/dialects/quectel.py).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_at.h"
#include "nce_modem.h"
#include "nce_modem_internal.h"

#define OPEN_TIMEOUT_MS 150000u

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

static nce_modem_status_t quectel_set_rat(nce_modem_t *m, nce_rat_t rat)
{
    nce_modem_status_t s;
    const int nb = rat == NCE_RAT_NB_IOT;

    if (rat == NCE_RAT_GSM) {
        s = nce_modem_command(m, "AT+QCFG=\"nwscanseq\",010203,1", 0u);
        return s != NCE_MODEM_OK ? s : nce_modem_command(m, "AT+QCFG=\"nwscanmode\",1,1", 0u);
    }
    s = nce_modem_command(m, nb ? "AT+QCFG=\"nwscanseq\",030201,1" : "AT+QCFG=\"nwscanseq\",020301,1", 0u);
    if (s == NCE_MODEM_OK) {
        s = nce_modem_command(m, "AT+QCFG=\"nwscanmode\",3,1", 0u);
    }
    if (s == NCE_MODEM_OK) {
        s = nce_modem_command(m, nb ? "AT+QCFG=\"iotopmode\",1,1" : "AT+QCFG=\"iotopmode\",0,1", 0u);
    }
    return s;
}

static nce_modem_status_t quectel_pdp(nce_modem_t *m, char ip[16])
{
    char command[96] = "AT+QICSGP=1,1,\"";
    char apn[40];
    nce_modem_status_t s;
    size_t i;

    /* The APN of context 1 as set by nce_modem_set_apn (read back from CGDCONT). */
    apn[0] = '\0';
    if (nce_modem_command(m, "AT+CGDCONT?", 0u) == NCE_MODEM_OK) {
        for (i = 0; i < nce_at_info_count(&m->at); i++) {
            const char *line = nce_at_info(&m->at, i);
            long cid;

            if (nce_at_starts_with(line, "+CGDCONT:") && nce_at_field_int(line + 9, 0, &cid) == 0 && cid == 1) {
                (void)nce_at_field(line + 9, 2, apn, sizeof apn);
            }
        }
    }
    append(command, sizeof command, apn);
    append(command, sizeof command, "\",\"\",\"\",0");
    s = nce_modem_command(m, command, 0u);
    if (s != NCE_MODEM_OK) {
        return s;
    }
    s = nce_modem_command(m, "AT+QIACT=1", 0u);
    if (s == NCE_MODEM_CME || s == NCE_MODEM_ERROR) {
        return NCE_MODEM_PDP_REJECTED;
    }
    if (s != NCE_MODEM_OK) {
        return s;
    }
    s = nce_modem_command(m, "AT+QIACT?", 0u);
    if (s != NCE_MODEM_OK) {
        return s;
    }
    for (i = 0; i < nce_at_info_count(&m->at); i++) {
        const char *line = nce_at_info(&m->at, i);
        long cid;
        long state;

        if (nce_at_starts_with(line, "+QIACT:") && nce_at_field_int(line + 7, 0, &cid) == 0 && cid == 1 &&
            nce_at_field_int(line + 7, 1, &state) == 0 && state == 1 &&
            nce_at_field(line + 7, 3, ip, 16) > 0) {
            return NCE_MODEM_OK;
        }
    }
    nce_modem_fail(m, "AT+QIACT?", "context 1 not active", 0);
    return NCE_MODEM_PDP_REJECTED;
}

static nce_modem_status_t quectel_udp_open(nce_modem_t *m, const char *host, uint16_t port, uint16_t local_port)
{
    char command[120] = "AT+QIOPEN=1,0,\"UDP\",\"";
    nce_modem_status_t s;
    uint32_t start;
    int attempt;

    append(command, sizeof command, host);
    append(command, sizeof command, "\",");
    append_u(command, sizeof command, port);
    append(command, sizeof command, ",");
    append_u(command, sizeof command, local_port); /* 0: the module picks one */
    append(command, sizeof command, ",0");
    for (attempt = 0; attempt < 2; attempt++) {
        m->open_result = -1;
        s = nce_modem_command(m, command, 0u);
        if (s != NCE_MODEM_OK) {
            return s;
        }
        start = nce_modem_now(m);
        while (m->open_result < 0 && nce_modem_now(m) - start < OPEN_TIMEOUT_MS) {
            if (nce_modem_wait(m, 500u) != NCE_MODEM_OK) {
                return NCE_MODEM_IO;
            }
        }
        if (m->open_result == 0) {
            m->socket_id = 0;
            m->socket_data = 0u;
            return NCE_MODEM_OK;
        }
        if (m->open_result != 563) {
            break;
        }
        (void)nce_modem_command(m, "AT+QICLOSE=0", 0u); /* 563: still open from before */
    }
    if (m->open_result < 0) {
        nce_modem_fail(m, "AT+QIOPEN", "", 0);
        return NCE_MODEM_TIMEOUT;
    }
    nce_modem_fail(m, "AT+QIOPEN", "+QIOPEN error", m->open_result);
    return NCE_MODEM_SOCKET;
}

static nce_modem_status_t quectel_udp_send(nce_modem_t *m, const uint8_t *data, size_t len)
{
    char command[32] = "AT+QISEND=0,";
    nce_at_options_t options;
    nce_modem_status_t s;

    memset(&options, 0, sizeof options);
    options.payload = data;
    options.payload_len = len;
    append_u(command, sizeof command, (unsigned long)len);
    s = nce_modem_command_ex(m, command, 0u, &options);
    return (s == NCE_MODEM_ERROR || s == NCE_MODEM_CME) ? NCE_MODEM_SOCKET : s;
}

static nce_modem_status_t quectel_read(nce_modem_t *m, uint8_t *buf, size_t cap, size_t *received)
{
    nce_at_options_t options;
    nce_modem_status_t s;

    memset(&options, 0, sizeof options);
    options.binary = buf;
    options.binary_cap = cap;
    s = nce_modem_command_ex(m, "AT+QIRD=0,1500", 0u, &options);
    if (s != NCE_MODEM_OK) {
        return s == NCE_MODEM_ERROR ? NCE_MODEM_SOCKET : s;
    }
    *received = nce_at_binary_len(&m->at) < cap ? nce_at_binary_len(&m->at) : cap;
    return NCE_MODEM_OK;
}

static nce_modem_status_t quectel_udp_receive(nce_modem_t *m, uint8_t *buf, size_t cap, size_t *received,
                                              uint32_t timeout_ms)
{
    uint32_t start = nce_modem_now(m);

    for (;;) {
        nce_modem_status_t s;

        m->socket_data = 0u;
        s = quectel_read(m, buf, cap, received);
        if (s != NCE_MODEM_OK || *received > 0u) {
            return s;
        }
        /* Empty: wait for +QIURC: "recv",0 (reading an empty buffer is harmless). */
        while (m->socket_data == 0u) {
            uint32_t elapsed = nce_modem_now(m) - start;

            if (elapsed >= timeout_ms) {
                nce_modem_fail(m, "AT+QIRD=0,1500", "no datagram", 0);
                return NCE_MODEM_TIMEOUT;
            }
            if (nce_modem_wait(m, timeout_ms - elapsed) != NCE_MODEM_OK) {
                return NCE_MODEM_IO;
            }
        }
    }
}

static nce_modem_status_t quectel_udp_close(nce_modem_t *m)
{
    return nce_modem_command(m, "AT+QICLOSE=0", 0u);
}

const struct nce_dialect_ops nce_dialect_quectel = {
    "quectel", 1, "AT+QGMR", "AT+CGSN", "AT+QCCID", "+QCCID:", "2,1,0,0,0", 1u,
    quectel_set_rat, quectel_pdp, quectel_udp_open, quectel_udp_send, quectel_udp_receive,
    quectel_udp_close};
