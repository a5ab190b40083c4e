/*
 * nce_at.h - the firmware's AT driver.
 *
 * Two layers:
 *
 * 1. A sans-I/O reader (nce_at_reader_t): bytes in, events out. It knows nothing of time or I/O,
 *    so a host build can feed it recorded captures exactly like at_commands.session.AtSession
 *    and compare the events. Use it standalone:
 *
 *        nce_at_reader_t r;
 *        nce_at_reader_init(&r, on_event, ctx);
 *        nce_at_reader_start(&r, "AT+QIRD=0,1500");   // a command line was sent (optional)
 *        nce_at_feed(&r, bytes, len);                // any chunking: the events are the same
 *
 *    The event callback gets each event as it completes; pointers in the event are valid only
 *    during the call. Events:
 *      INFO    an information line of the pending command
 *      FINAL   OK / ERROR (and NO CARRIER, BUSY ...) / +CME ERROR: n / +CMS ERROR: n / the
 *              command's vendor finals (SEND OK, SEND FAIL, CLOSE OK ...); ends the command
 *      PROMPT  '>' (or '@') at a line start while the pending command wants a prompt; one
 *              following space is swallowed
 *      BINARY  a length-prefixed payload after its header line ("+QIRD: n[,..]",
 *              "#XRECVFROM: n,..." ...) that belongs to the pending command
 *      URC     an unsolicited result code (prefix table, or its own prefix in URC shape, e.g.
 *              "+CEREG: 5"); two-line URCs (+CMT:, +CDS:, +CBM:) come as one event with `body`,
 *              #XUDPDATA:/#XTCPDATA: with `data`
 *      BOOT    RDY / APP RDY / Ready / +KSUP: (the modem restarted); `command_ended` = 1 when it
 *              cut off a pending command (the reader then forgets that command, as AtSession)
 *      NOISE   unprintable bytes around/in a line, an overlong line (dropped), a payload nobody
 *              asked for, a binary length over NCE_AT_BINARY_MAX
 *      STRAY   a line while no command is pending that is no URC (a late OK after a timeout,
 *              or an unknown line); `final` says whether it is a final result code
 *    Differences to AtSession (deliberate): lines are limited to NCE_AT_LINE_MAX (AtSession
 *    4096) and payloads to NCE_AT_BINARY_MAX; idle non-URC lines are STRAY (AtSession: a Urc
 *    event); a boot line is one BOOT event (AtSession: RebootEvent + UrcEvent); ATV0 numeric
 *    results, claimed prefixes and SIMCom's inline +CARECV payload are not supported.
 *
 * 2. A blocking command layer (nce_at_t) over an nce_at_io_t: nce_at_command() sends a line,
 *    waits for its final with the per-command timeout (nce_at_default_timeout, as
 *    at_commands/timeouts.py), collects info lines (nce_at_info / nce_at_value), sends a payload
 *    after the prompt, reads a binary block into a caller buffer, and hands URCs and boot
 *    banners to the URC handler while it waits (the handler must not send commands).
 *
 * No malloc; all storage is in the structs (sizes below).
 */
#ifndef NCE_AT_H
#define NCE_AT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The byte pipe under the driver. The firmware wires it to nce_platform_modem_*; the host build
 * wires it to a pty, a socket or a test buffer. */
typedef struct {
    int (*write)(void *ctx, const uint8_t *data, size_t len);                 /* len or < 0 */
    int (*read)(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms);    /* n, 0 timeout, < 0 */
    uint32_t (*now_ms)(void *ctx);
    void *ctx;
} nce_at_io_t;

#ifndef NCE_AT_LINE_MAX
#define NCE_AT_LINE_MAX 256u    /* longest line kept (longer ones are dropped as NOISE) */
#endif
#ifndef NCE_AT_INFO_MAX
#define NCE_AT_INFO_MAX 1024u   /* info lines of one command, NUL-separated */
#endif
#ifndef NCE_AT_BINARY_MAX
#define NCE_AT_BINARY_MAX 1500u /* largest length-prefixed payload */
#endif
#define NCE_AT_COMMAND_MAX 160u /* longest command line (without CR) */
#define NCE_AT_PREFIX_MAX 4u    /* info prefixes of a chained command ("AT+A;+B") */
#define NCE_AT_BOOT_GRACE_MS 1000u
#define NCE_AT_DEFAULT_TIMEOUT_MS 5000u

/* ---- the reader ------------------------------------------------------------------------- */

typedef enum {
    NCE_AT_EVENT_INFO = 0,
    NCE_AT_EVENT_FINAL,
    NCE_AT_EVENT_PROMPT,
    NCE_AT_EVENT_BINARY,
    NCE_AT_EVENT_URC,
    NCE_AT_EVENT_BOOT,
    NCE_AT_EVENT_NOISE,
    NCE_AT_EVENT_STRAY
} nce_at_event_kind_t;

typedef enum {
    NCE_AT_FINAL_NONE = 0, /* not a final (STRAY of another line) */
    NCE_AT_FINAL_OK,       /* OK, or a vendor success final (SEND OK ...) */
    NCE_AT_FINAL_ERROR,    /* ERROR, NO CARRIER, ..., or a vendor failure final (SEND FAIL) */
    NCE_AT_FINAL_CME,      /* +CME ERROR: <code> */
    NCE_AT_FINAL_CMS       /* +CMS ERROR: <code> */
} nce_at_final_t;

typedef struct {
    nce_at_event_kind_t kind;
    const char *line;       /* the line, NUL-terminated (PROMPT: ">" or "@"; BINARY: its header) */
    size_t line_len;
    const char *body;       /* URC: the body line of a two-line URC, else NULL */
    const uint8_t *data;    /* BINARY / URC with payload / NOISE: the bytes, else NULL */
    size_t data_len;
    nce_at_final_t final;   /* FINAL, STRAY: which final result code (NONE otherwise) */
    int code;               /* FINAL CME/CMS: the numeric code, -1 when not numeric */
    uint8_t command_ended;  /* BOOT: a pending command was cut off by it */
} nce_at_event_t;

typedef void (*nce_at_event_fn)(void *ctx, const nce_at_event_t *event);

typedef struct {
    nce_at_event_fn on_event;
    void *ctx;
    /* the line being read */
    char line[NCE_AT_LINE_MAX + 1u];
    size_t line_len;
    uint8_t discarding;     /* inside an overlong line: drop until the line end */
    uint8_t skip_lf;        /* a binary header ended in CR: its LF may follow */
    uint8_t swallow_space;  /* a prompt was seen: one space after it belongs to it */
    /* a binary payload being read */
    size_t raw_left;
    size_t raw_len;
    uint8_t raw_overflow;
    uint8_t raw[NCE_AT_BINARY_MAX];
    char raw_header[NCE_AT_LINE_MAX + 1u];
    /* the pending command */
    uint8_t pending;
    uint8_t echo_seen;
    uint8_t body_next;      /* the next line is the body of +CMGR:/+CMGL: */
    uint8_t prompts_enabled;
    uint8_t data_to_response;
    uint8_t behaviour;      /* private flags from the command table */
    char command[NCE_AT_COMMAND_MAX + 1u];
    char prefixes[NCE_AT_PREFIX_MAX][16];
    uint8_t prefix_count;
    /* a URC waiting for its body line or payload */
    uint8_t urc_awaiting_body;
    uint8_t urc_awaiting_data;
    char urc_line[NCE_AT_LINE_MAX + 1u];
    /* counters (evidence) */
    uint32_t noise_events;
    uint32_t overlong_lines;
} nce_at_reader_t;

void nce_at_reader_init(nce_at_reader_t *reader, nce_at_event_fn on_event, void *ctx);
/* A command line was sent (without CR): its echo, prefix, prompt and finals are now expected.
 * A command already pending is forgotten (as after a timeout). */
void nce_at_reader_start(nce_at_reader_t *reader, const char *command);
/* Give up on the pending command (timeout): later lines are unsolicited. */
void nce_at_reader_abandon(nce_at_reader_t *reader);
/* Forget partial input and waiting URCs, as after a reboot. */
void nce_at_reader_reset(nce_at_reader_t *reader);
/* 1 while a command is pending (no final seen yet). */
int nce_at_reader_pending(const nce_at_reader_t *reader);
/* Feed bytes from the modem; events are delivered through the callback before it returns. */
void nce_at_feed(nce_at_reader_t *reader, const uint8_t *data, size_t len);

/* ---- the command layer ------------------------------------------------------------------- */

typedef enum {
    NCE_AT_OK = 0,
    NCE_AT_ERROR = -1,        /* ERROR or a vendor failure final */
    NCE_AT_CME = -2,          /* +CME ERROR: nce_at_code() */
    NCE_AT_CMS = -3,          /* +CMS ERROR: nce_at_code() */
    NCE_AT_TIMEOUT = -4,      /* no final (or no prompt) in time */
    NCE_AT_REBOOTED = -5,     /* a boot banner cut the command off and no final followed */
    NCE_AT_IO = -6,           /* the byte pipe failed */
    NCE_AT_ARGUMENT = -7      /* command too long, bad options */
} nce_at_status_t;

/* Options of one command (all optional; zero-initialise). */
typedef struct {
    const uint8_t *payload;     /* written after the prompt (or at once with no_prompt) */
    size_t payload_len;
    const uint8_t *payload_end; /* written after the payload ("\x1a" for SMS, "+++" data mode) */
    size_t payload_end_len;
    uint8_t no_prompt;          /* write the payload right after the command line */
    uint8_t *binary;            /* where a length-prefixed payload of the answer goes */
    size_t binary_cap;          /* longer payloads are truncated (nce_at_binary_len: the full length) */
} nce_at_options_t;

/* A URC / BOOT / STRAY while a command waits or while idle. Must not send commands. */
typedef void (*nce_at_urc_fn)(void *ctx, const nce_at_event_t *event);

typedef struct nce_at {
    nce_at_reader_t reader;
    const nce_at_io_t *io;
    nce_at_urc_fn urc_handler;
    void *urc_ctx;
    /* the answer of the last command */
    char info[NCE_AT_INFO_MAX];
    size_t info_len;
    uint16_t info_count;
    uint8_t info_overflow;
    char final_line[48];
    int code;
    uint8_t done;
    uint8_t prompted;
    uint8_t booted;          /* a boot banner cut the command off: waiting out the grace time */
    uint8_t expects_reboot;
    uint8_t woken;           /* nce_at_wait: something was handed to the handler */
    nce_at_final_t final;
    uint8_t *binary;
    size_t binary_cap;
    size_t binary_len;       /* the payload's full length (may exceed binary_cap) */
    uint8_t binary_seen;
    uint32_t noise_events;
    uint32_t stray_lines;
} nce_at_t;

void nce_at_init(nce_at_t *at, const nce_at_io_t *io, nce_at_urc_fn urc_handler, void *urc_ctx);

/* Send `command` (without CR) and wait for its final. timeout_ms 0 = nce_at_default_timeout. */
nce_at_status_t nce_at_command(nce_at_t *at, const char *command, uint32_t timeout_ms);
nce_at_status_t nce_at_command_ex(nce_at_t *at, const char *command, uint32_t timeout_ms,
                                  const nce_at_options_t *options);

/* Read and dispatch what the modem says for up to wait_ms while no command is pending (returns
 * at the first URC/BOOT handed to the handler, or when the time is up). NCE_AT_IO on failure. */
nce_at_status_t nce_at_wait(nce_at_t *at, uint32_t wait_ms);

/* The answer of the last command. */
size_t nce_at_info_count(const nce_at_t *at);
const char *nce_at_info(const nce_at_t *at, size_t index);     /* NULL past the end */
/* The text after `prefix` (and spaces) on the first info line that starts with it, or NULL. */
const char *nce_at_value(const nce_at_t *at, const char *prefix);
/* The first info line without a "+XYZ:" prefix (identity answers), or NULL. */
const char *nce_at_bare(const nce_at_t *at);
int nce_at_code(const nce_at_t *at);
const char *nce_at_final_line(const nce_at_t *at);
size_t nce_at_binary_len(const nce_at_t *at);
int nce_at_binary_seen(const nce_at_t *at);

/* The timeout class of a command line (COPS 180 s, CGACT/QIACT/QIOPEN 150 s ...). */
uint32_t nce_at_default_timeout(const char *command);

/* ---- text helpers -------------------------------------------------------------------------- */

/* Copy with truncation; always NUL-terminates (cap > 0). Returns strlen(src). */
size_t nce_at_strlcpy(char *dst, const char *src, size_t cap);
int nce_at_starts_with(const char *text, const char *prefix);
/* Field `index` of a comma-separated list (quotes removed; commas inside quotes kept) into out.
 * Returns the field's length, or -1 when there is no such field. */
int nce_at_field(const char *csv, unsigned index, char *out, size_t cap);
/* Field `index` as an integer; returns 0 and sets *value, or -1 when absent / not a number. */
int nce_at_field_int(const char *csv, unsigned index, long *value);

#ifdef __cplusplus
}
#endif

#endif /* NCE_AT_H */
