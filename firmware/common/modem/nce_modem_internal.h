/*
 * nce_modem_internal.h - what the modem layer's generic part and its dialect tables share
 * (private to firmware/common/modem).
 */
#ifndef NCE_MODEM_INTERNAL_H
#define NCE_MODEM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "nce_at.h"
#include "nce_modem.h"

struct nce_dialect_ops {
    const char *name;
    int cid;                      /* the PDP context the module attaches with */
    const char *firmware_command; /* AT+QGMR / AT+CGMR */
    const char *imei_command;     /* AT+CGSN / AT+CGSN=1 */
    const char *iccid_command;
    const char *iccid_prefix;
    const char *cnmi;             /* new-message indications */
    uint8_t sms_storage;          /* select SIM storage with AT+CPMS */
    nce_modem_status_t (*set_rat)(nce_modem_t *modem, nce_rat_t rat);
    nce_modem_status_t (*pdp_activate)(nce_modem_t *modem, char ip[16]);
    nce_modem_status_t (*udp_open)(nce_modem_t *modem, const char *host, uint16_t port, uint16_t local_port);
    nce_modem_status_t (*udp_send)(nce_modem_t *modem, const uint8_t *data, size_t len);
    nce_modem_status_t (*udp_receive)(nce_modem_t *modem, uint8_t *buf, size_t cap, size_t *received,
                                      uint32_t timeout_ms);
    nce_modem_status_t (*udp_close)(nce_modem_t *modem);
};

extern const struct nce_dialect_ops nce_dialect_quectel;
extern const struct nce_dialect_ops nce_dialect_nordic;

/* Run a command; a failure is recorded in last_error and mapped to a modem status. */
nce_modem_status_t nce_modem_command(nce_modem_t *modem, const char *command, uint32_t timeout_ms);
nce_modem_status_t nce_modem_command_ex(nce_modem_t *modem, const char *command, uint32_t timeout_ms,
                                        const nce_at_options_t *options);
/* Record a failure that is not a command's final (a bad answer, a socket error code). */
void nce_modem_fail(nce_modem_t *modem, const char *command, const char *final, int code);
/* Wait for URCs for up to ms (the modem layer's handler runs). */
nce_modem_status_t nce_modem_wait(nce_modem_t *modem, uint32_t ms);
uint32_t nce_modem_now(const nce_modem_t *modem);

#endif /* NCE_MODEM_INTERNAL_H */
