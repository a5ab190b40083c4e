/*
 * nce_app.h - the RTOS-independent firmware app and what a port calls.
 *
 * The app: boot (config block) -> modem sync -> SIM ready -> RAT + APN -> attach -> PDP ->
 * Device Authenticator bootstrap (os_auth over a UDP socket of the link) -> Energy Saver uplinks
 * (UDP and CoAP, BCL-encoded) every period -> MT SMS as a configuration channel, with staged
 * recovery and back-off (1NCE No-Harm-to-Network) when the link fails.
 *
 * Ports drive it in steps, so a bare-metal superloop and RTOS tasks can both run it:
 *
 *     nce_app_init(&app, &link);          once, after the platform is up (logs "boot")
 *     for (;;) {
 *         nce_app_connect(&app);           bring-up (+ recovery with back-off) until connected
 *         nce_app_uplink_round(&app);      when nce_app_uplink_due() (one UDP + one CoAP uplink)
 *         nce_app_poll(&app, wait_ms);     SMS / registration / PDP / reboot events
 *     }
 *
 * or simply nce_app_run(&app) (never returns). All nce_app_* calls that touch the link must come
 * from one task (the modem task); an RTOS port that wants a separate uplink task sends it a
 * request (queue) and lets the modem task call nce_app_uplink_round(). nce_app_configure() is the
 * one entry for configuration text ("interval=30"), from an SMS or any other channel.
 *
 * The link (nce_link_t) is how the app reaches the network: nce_link_modem() builds one over the
 * AT modem layer (nce_modem.h); a port with its own IP stack (Zephyr on nRF91: offloaded sockets +
 * LTE link control) fills the function table itself. Status codes and events are the modem
 * layer's types (nce_modem_status_t, nce_modem_event_t), so every link reports failures alike.
 *
 * The console log written by the app is specified in firmware/README.md ("Console log").
 * No malloc; all state lives in nce_app_t.
 */
#ifndef NCE_APP_H
#define NCE_APP_H

#include <stddef.h>
#include <stdint.h>

#include "nce_app_config.h"
#include "nce_config.h"
#include "nce_modem.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NCE_APP_VERSION "0.1.0"

#ifndef NCE_APP_BOARD
#define NCE_APP_BOARD "unknown"
#endif

/* ---- the link: how the app reaches the network ------------------------------------------ */

typedef struct nce_link {
    void *ctx;
    /* Power-up / restart: (re)initialise the modem and wait until it answers. Called at boot and
     * as the last recovery stage ("modem restart"). */
    nce_modem_status_t (*restart)(void *ctx, uint32_t timeout_ms);
    nce_modem_status_t (*identity)(void *ctx, nce_modem_identity_t *out);
    nce_modem_status_t (*sim_ready)(void *ctx, uint32_t timeout_ms);
    /* RAT and APN for the next attach. */
    nce_modem_status_t (*configure)(void *ctx, nce_rat_t rat, const char *apn);
    nce_modem_status_t (*attach)(void *ctx, uint32_t timeout_ms, nce_modem_registration_t *out);
    /* Signal quality after attach, for the log; NULL when the link cannot tell. */
    nce_modem_status_t (*signal)(void *ctx, nce_modem_signal_t *out);
    nce_modem_status_t (*pdp_activate)(void *ctx, char ip[16]);
    /* A UDP socket to host:port; local_port != 0 makes it listen there (downlinks), 0 ephemeral. */
    nce_modem_status_t (*udp_open)(void *ctx, const char *host, uint16_t port, uint16_t local_port);
    nce_modem_status_t (*udp_send)(void *ctx, const uint8_t *data, size_t len);
    nce_modem_status_t (*udp_receive)(void *ctx, uint8_t *buf, size_t cap, size_t *received,
                                      uint32_t timeout_ms);
    nce_modem_status_t (*udp_close)(void *ctx);
    nce_modem_status_t (*sms_enable)(void *ctx);
    /* An MO SMS (the reply to a "status" SMS); NULL when the link cannot send one. */
    nce_modem_status_t (*sms_send)(void *ctx, const char *number, const char *text, int *reference);
    /* Wait up to wait_ms for the next event (kind NONE if none). */
    nce_modem_status_t (*poll)(void *ctx, uint32_t wait_ms, nce_modem_event_t *event);
    /* Evidence of the last failure (may return NULL). */
    const nce_modem_error_t *(*last_error)(void *ctx);
    /* A short name of the link for the log: "bg95", "nrf91", "nrf91-offload" ... */
    const char *(*name)(void *ctx);
} nce_link_t;

/* A link over the AT modem layer: `modem` is owned by the link (nce_modem_init is called by its
 * restart). */
typedef struct nce_link_modem_ctx {
    nce_modem_t modem;
    const nce_at_io_t *io;
    nce_dialect_t dialect;
} nce_link_modem_ctx_t;

void nce_link_modem(nce_link_t *link, nce_link_modem_ctx_t *ctx, const nce_at_io_t *io,
                    nce_dialect_t dialect);

/* An nce_at_io_t over the platform's modem UART (nce_platform_modem_* and now_ms). */
extern const nce_at_io_t nce_app_platform_io;

/* ---- the app ------------------------------------------------------------------------------- */

typedef enum {
    NCE_APP_STATE_BOOT = 0,
    NCE_APP_STATE_CONNECTED, /* attached, PDP up, bootstrapped (if enabled): uplinks may go */
    NCE_APP_STATE_RECOVERING /* a failure happened; nce_app_connect() escalates and retries */
} nce_app_state_t;

/* Recovery stages, escalated in this order (1NCE No-Harm-to-Network). */
typedef enum {
    NCE_APP_STAGE_SOCKET = 0, /* higher layer: reopen the socket / redo the exchange */
    NCE_APP_STAGE_PDP,        /* re-activate the PDP context */
    NCE_APP_STAGE_ATTACH,     /* re-attach (radio off/on via the link's attach) */
    NCE_APP_STAGE_RESTART     /* restart the modem and bring everything up again */
} nce_app_stage_t;

/* Downlinks (1NCE Device Controller, "send when active"): the UDP uplink socket listens on this
 * port and, after each UDP uplink, for this long for a datagram the cloud queued for the device
 * (logged as `downlink`). A window of 0 turns the listening off. */
#ifndef NCE_APP_DOWNLINK_PORT
#define NCE_APP_DOWNLINK_PORT 5000u
#endif
#ifndef NCE_APP_DOWNLINK_WINDOW_MS
#define NCE_APP_DOWNLINK_WINDOW_MS 500u
#endif

#define NCE_APP_BACKOFF_BASE_MS 2000u
#define NCE_APP_BACKOFF_MAX_MS 300000u /* the ceiling: never a tight loop, never forever silent */

/* Where MT SMS texts go (nce_app_set_sms_handler). The handler returns 0 when it took the text
 * (e.g. queued it to the task that owns the app, which applies it later with nce_app_configure);
 * any other value makes the app apply it at once, so a full queue loses nothing. */
typedef int (*nce_app_sms_handler_t)(void *user, const char *sender, const char *text);

typedef struct nce_app {
    nce_config_t config;
    const nce_link_t *link;
    nce_app_state_t state;
    nce_app_stage_t stage;
    uint8_t stage_failures;     /* failures at the current stage before escalating */
    uint32_t backoff_ms;        /* the last back-off delay */
    uint32_t attempts;          /* recovery attempts since the last good uplink round */
    uint8_t uplink_failures;    /* consecutive failed uplink rounds */
    nce_modem_identity_t identity;
    nce_modem_registration_t registration;
    char ip[16];
    char psk_identity[100];
    char psk[100];              /* never logged; kept in RAM for DTLS */
    uint8_t bootstrapped;
    uint8_t pending_uplink;     /* an SMS changed the config: send the next round now */
    uint32_t boot_ms;
    uint32_t last_round_ms;
    uint32_t next_uplink_ms;
    uint32_t uplinks_udp;
    uint32_t uplinks_coap;
    uint32_t counter;           /* uplink rounds sent (the template's "counter") */
    uint16_t coap_message_id;
    char sms_sender[24];        /* the last MT SMS's sender: where a "status" reply goes */
    nce_app_sms_handler_t sms_handler; /* NULL: SMS texts are applied at once */
    void *sms_user;
} nce_app_t;

/* Read the config block (nce_platform_config_block), log "boot", bind the link. A port's build
 * may select demos at compile time: NCE_APP_DEMO_CONFIG names a header (e.g. FreeRTOS's
 * config/nce_demo_config.h) that defines NCE_APP_FLAGS_MASK; the config's flags are masked with
 * it before "boot" is logged, so a demo left out of the build never runs. */
void nce_app_init(nce_app_t *app, const nce_link_t *link);

/* Route MT SMS texts to handler (after nce_app_init; the "sms" line is still logged by the app). */
void nce_app_set_sms_handler(nce_app_t *app, nce_app_sms_handler_t handler, void *user);

/* Bring the link up from wherever it is (boot or a recovery stage) until connected; waits the
 * back-off between failed attempts. Returns 0 when connected. Returns 1 without connecting only
 * when the run time (run_for_s) is over. */
int nce_app_connect(nce_app_t *app);

/* 1 when an uplink round is due now. */
int nce_app_uplink_due(const nce_app_t *app);
/* Milliseconds until the next uplink round (0 if due). */
uint32_t nce_app_uplink_wait_ms(const nce_app_t *app);

/* One uplink round: a UDP and a CoAP uplink (as the config's flags enable). Returns 0 on success;
 * a failure is logged and moves the app to RECOVERING. */
int nce_app_uplink_round(nce_app_t *app);

/* Handle link events for up to wait_ms (SMS -> nce_app_configure, detach/PDP down/reboot ->
 * RECOVERING). Returns the number of events handled. */
int nce_app_poll(nce_app_t *app, uint32_t wait_ms);

/* Apply one configuration text: "interval=<1..86400>" (seconds), "topic=<topic>",
 * "loglevel=<0..3>". Returns 0 when applied (logged as "config"), negative when rejected (logged
 * as an error). Several settings may be separated by ';' or spaces. */
int nce_app_configure(nce_app_t *app, const char *text);

/* 1 when run_for_s is set and over. nce_app_finish() then logs "done" and exits through
 * nce_platform_exit (0 when bootstrapped and >= 1 UDP and >= 1 CoAP uplink went out, else 1). */
int nce_app_time_is_up(const nce_app_t *app);
void nce_app_finish(const nce_app_t *app);

/* The bare-metal superloop over the steps above. Never returns. */
void nce_app_run(nce_app_t *app);

/* ---- the console log (firmware/README.md) ------------------------------------------------- */

#define NCE_LOG_ERROR 0u
#define NCE_LOG_WARN 1u
#define NCE_LOG_INFO 2u
#define NCE_LOG_DEBUG 3u

/* Lines above this level are dropped (the config's log_level; boot and done always appear). */
void nce_log_set_level(uint8_t level);

/* A log line under construction: nce_log_begin, then fields, then nce_log_end writes it whole
 * with one nce_platform_console_write. Over-long lines are cut and end in " truncated=1". */
typedef struct nce_log_line {
    char text[480];
    size_t length;
    uint8_t enabled;
    uint8_t overflow;
} nce_log_line_t;

void nce_log_begin(nce_log_line_t *line, uint8_t level, const char *event);
void nce_log_str(nce_log_line_t *line, const char *key, const char *value);    /* bare token */
void nce_log_quoted(nce_log_line_t *line, const char *key, const char *value); /* "..." escaped */
void nce_log_u32(nce_log_line_t *line, const char *key, uint32_t value);
void nce_log_i32(nce_log_line_t *line, const char *key, int32_t value);
void nce_log_hex(nce_log_line_t *line, const char *key, const uint8_t *data, size_t len);
/* Raw text appended after "key=" (the caller guarantees it holds no space or newline). */
void nce_log_raw(nce_log_line_t *line, const char *key, const char *value);
void nce_log_end(nce_log_line_t *line);

/* "error cause=<cause> where=<where>" (+ code=, command= when known). */
void nce_log_error(const char *cause, const char *where, const nce_modem_error_t *evidence);

/* A short name for a status ("timeout", "denied", ...), independent of the modem layer's. */
const char *nce_app_status_name(nce_modem_status_t status);

#ifdef __cplusplus
}
#endif

#endif /* NCE_APP_H */
