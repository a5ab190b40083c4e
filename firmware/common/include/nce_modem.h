/*
 * nce_modem.h - the firmware's modem layer: one API over table-driven AT dialects.
 *
 * Built on the AT driver (nce_at.h) and the platform UART (nce_platform.h). Every call is
 * blocking with its own timeout (per-command classes as in at_commands/timeouts.py) and returns
 * an nce_modem_status_t; the evidence of the last failure (command, final line, CME/CMS code) is
 * kept in the modem's `last_error`. URCs that arrive while a command is pending or between
 * commands (registration, PDP teardown, SMS, boot banners) are recorded as pending events that
 * nce_modem_poll() hands to the app. No malloc; all storage lives in nce_modem_t.
 */
#ifndef NCE_MODEM_H
#define NCE_MODEM_H

#include <stddef.h>
#include <stdint.h>

#include "nce_at.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    NCE_DIALECT_BG95 = 0,
    NCE_DIALECT_BG96,
    NCE_DIALECT_NRF91,
    NCE_DIALECT_SARA_R4,
    NCE_DIALECT_SARA_R5,
    NCE_DIALECT_SIM7080,
    NCE_DIALECT_COUNT,
    NCE_DIALECT_AUTO = 0xFF /* identify with AT+CGMM / ATI during nce_modem_sync */
} nce_dialect_t;

typedef enum {
    NCE_MODEM_OK = 0,
    NCE_MODEM_TIMEOUT = -1,       /* no final result code in time */
    NCE_MODEM_ERROR = -2,         /* plain ERROR */
    NCE_MODEM_CME = -3,           /* +CME ERROR: n (last_error.code) */
    NCE_MODEM_CMS = -4,           /* +CMS ERROR: n */
    NCE_MODEM_REBOOTED = -5,      /* a boot banner, and no final result followed it */
    NCE_MODEM_BAD_RESPONSE = -6,  /* garbage or an answer of the wrong shape */
    NCE_MODEM_NO_SIM = -7,
    NCE_MODEM_SIM_LOCKED = -8,    /* PIN / PUK required */
    NCE_MODEM_DENIED = -9,        /* registration denied (stat 3; last_error.code = EMM cause) */
    NCE_MODEM_NOT_ATTACHED = -10, /* still searching when the attach wait ended */
    NCE_MODEM_PDP_REJECTED = -11,
    NCE_MODEM_SOCKET = -12,       /* socket open/send/receive failed */
    NCE_MODEM_ARGUMENT = -13,
    NCE_MODEM_IO = -14            /* the UART failed */
} nce_modem_status_t;

typedef enum { NCE_RAT_LTE_M = 0, NCE_RAT_NB_IOT, NCE_RAT_GSM } nce_rat_t;

typedef enum {
    NCE_MODEM_EVENT_NONE = 0,
    NCE_MODEM_EVENT_REGISTRATION, /* value = new stat (0..5), e.g. 0 after a network detach */
    NCE_MODEM_EVENT_PDP_DOWN,     /* the network deactivated the PDP context */
    NCE_MODEM_EVENT_SMS,          /* an MT SMS is waiting: text in event.text, sender in event.sender */
    NCE_MODEM_EVENT_REBOOT,       /* a boot banner outside a command: modem state is lost */
    NCE_MODEM_EVENT_SOCKET_DATA   /* a datagram is waiting on socket event.value */
} nce_modem_event_kind_t;

typedef struct {
    nce_modem_event_kind_t kind;
    int value;
    char sender[24];
    char text[161];
} nce_modem_event_t;

typedef struct {
    char command[48];   /* the command that failed (secrets never stored) */
    char final[48];     /* its final line, or "" on timeout */
    int code;           /* CME/CMS code, EMM reject cause, or 0 */
} nce_modem_error_t;

typedef struct {
    char manufacturer[24];
    char model[24];
    char firmware[40];
    char imei[16];
    char iccid[21];     /* 19 digits (20 when the SIM reports the Luhn digit), no F padding */
    char imsi[16];
} nce_modem_identity_t;

typedef struct {
    int csq;            /* +CSQ <rssi> 0..31, 99 unknown */
    int rsrp_dbm;       /* +CESQ <rsrp> as -140 + v dBm (as at_commands), 0 unknown */
    int rsrq_db2;       /* +CESQ <rsrq> as half dB (-40..-6, i.e. -20..-3 dB), 0 unknown */
} nce_modem_signal_t;

typedef struct {
    int stat;           /* +CEREG stat: 1 home, 5 roaming */
    nce_rat_t rat;
    char operator_plmn[8];
} nce_modem_registration_t;

#ifndef NCE_MODEM_EVENT_QUEUE
#define NCE_MODEM_EVENT_QUEUE 8
#endif

typedef struct nce_modem {
    nce_at_t at;
    nce_dialect_t dialect;
    const struct nce_dialect_ops *ops; /* the dialect's table (private) */
    nce_modem_error_t last_error;
    nce_modem_event_t events[NCE_MODEM_EVENT_QUEUE];
    uint8_t event_head;
    uint8_t event_count;
    int socket_id;      /* the one UDP socket the app uses, -1 when closed */
    int registration_stat;
    /* added by the implementation (URC state between commands) */
    int registration_act;     /* AcT of the last registration line, -1 unknown */
    int reject_cause;         /* EMM cause of the last registration line, -1 none */
    uint8_t attached;         /* registration events are queued only once attached */
    uint8_t syncing;          /* boot banners during sync are expected, not events */
    uint8_t socket_data;      /* a data-arrival URC came for the socket */
    uint8_t need_cnma;        /* a +CMT was delivered: acknowledge with AT+CNMA=1 */
    int open_result;          /* +QIOPEN: <id>,<err> result, -1 while waiting */
    uint8_t sms_index_count;
    int sms_index[4];         /* +CMTI indices still to read */
    char remote_host[48];     /* nRF #XSENDTO target */
    uint16_t remote_port;
} nce_modem_t;

/* Bind the modem to an AT driver instance; `dialect` may be NCE_DIALECT_AUTO. */
void nce_modem_init(nce_modem_t *modem, const nce_at_io_t *io, nce_dialect_t dialect);

/* Sync (AT until OK, echo off, verbose errors, URC config of the dialect), identify the dialect
 * if AUTO. Survives a modem that is still booting: waits up to `timeout_ms` in total. */
nce_modem_status_t nce_modem_sync(nce_modem_t *modem, uint32_t timeout_ms);

nce_modem_status_t nce_modem_identity(nce_modem_t *modem, nce_modem_identity_t *out);

/* AT+CPIN? READY within timeout (SIM busy retried); NO_SIM / SIM_LOCKED otherwise. */
nce_modem_status_t nce_modem_sim_ready(nce_modem_t *modem, uint32_t timeout_ms);

nce_modem_status_t nce_modem_set_rat(nce_modem_t *modem, nce_rat_t rat);

/* Define the PDP context for `apn` (read back and compared). */
nce_modem_status_t nce_modem_set_apn(nce_modem_t *modem, const char *apn);

/* Radio on, then wait for stat 1 or 5 (URCs and polling). DENIED with the EMM cause, or
 * NOT_ATTACHED when `timeout_ms` passes while searching. */
nce_modem_status_t nce_modem_attach(nce_modem_t *modem, uint32_t timeout_ms, nce_modem_registration_t *out);

/* Activate the PDP context; writes the dotted IPv4 address into ip[16]. */
/* Signal quality: AT+CSQ and AT+CESQ (3GPP 27.007; LTE values from +CESQ). */
nce_modem_status_t nce_modem_signal(nce_modem_t *modem, nce_modem_signal_t *out);
nce_modem_status_t nce_modem_pdp_activate(nce_modem_t *modem, char ip[16]);

/* UDP socket to host:port (host: name or dotted address). One socket at a time. */
/* local_port 0: an ephemeral port; else the socket listens there (Quectel QIOPEN, nRF #XBIND). */
nce_modem_status_t nce_modem_udp_open(nce_modem_t *modem, const char *host, uint16_t port, uint16_t local_port);
nce_modem_status_t nce_modem_udp_send(nce_modem_t *modem, const uint8_t *data, size_t len);
/* Wait up to timeout_ms for one datagram; *received = its length (truncated to cap). */
nce_modem_status_t nce_modem_udp_receive(nce_modem_t *modem, uint8_t *buf, size_t cap, size_t *received,
                                         uint32_t timeout_ms);
nce_modem_status_t nce_modem_udp_close(nce_modem_t *modem);

/* Enable MT SMS delivery: PDU mode (AT+CMGF=0), decoded here (nce_sms.h). */
nce_modem_status_t nce_modem_sms_enable(nce_modem_t *modem);

/* Send an MO SMS (PDU mode, GSM 7-bit; see nce_sms_encode_submit for the characters) to `number`;
 * *reference gets the message reference of +CMGS. */
nce_modem_status_t nce_modem_sms_send(nce_modem_t *modem, const char *number, const char *text, int *reference);

/* Read pending URCs for up to `wait_ms` and hand out the oldest queued event (kind NONE if
 * none). Reading and deleting a stored SMS happens here, so event.text is complete. */
nce_modem_status_t nce_modem_poll(nce_modem_t *modem, uint32_t wait_ms, nce_modem_event_t *event);

/* A short name for logs: "timeout", "cme", "denied", ... */
const char *nce_modem_status_name(nce_modem_status_t status);
const char *nce_dialect_name(nce_dialect_t dialect);

#ifdef __cplusplus
}
#endif

#endif /* NCE_MODEM_H */
