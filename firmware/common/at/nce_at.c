/*
 * nce_at.c - the blocking AT command layer over an nce_at_io_t (nce_at.h): one command at a
 * time, its answer collected from the reader's events, URCs handed to the handler meanwhile.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_at.h"
#include "nce_at_tables.h"

#define READ_CHUNK 64u

static void collect_info(nce_at_t *at, const char *line, size_t len)
{
    if (at->info_len + len + 1u > sizeof at->info) {
        at->info_overflow = 1u;
        return;
    }
    memcpy(at->info + at->info_len, line, len + 1u);
    at->info_len += len + 1u;
    at->info_count++;
}

static void deliver(nce_at_t *at, const nce_at_event_t *event)
{
    at->woken = 1u;
    if (at->urc_handler != NULL) {
        at->urc_handler(at->urc_ctx, event);
    }
}

static void on_event(void *ctx, const nce_at_event_t *event)
{
    nce_at_t *at = (nce_at_t *)ctx;

    switch (event->kind) {
    case NCE_AT_EVENT_INFO:
        collect_info(at, event->line, event->line_len);
        break;
    case NCE_AT_EVENT_FINAL:
        at->done = 1u;
        at->final = event->final;
        at->code = event->code;
        nce_at_strlcpy(at->final_line, event->line, sizeof at->final_line);
        break;
    case NCE_AT_EVENT_PROMPT:
        at->prompted = 1u;
        break;
    case NCE_AT_EVENT_BINARY:
        at->binary_seen = 1u;
        at->binary_len = event->data_len;
        if (at->binary != NULL) {
            size_t n = event->data_len < at->binary_cap ? event->data_len : at->binary_cap;

            memcpy(at->binary, event->data, n);
        }
        break;
    case NCE_AT_EVENT_BOOT:
        if (event->command_ended != 0u) {
            at->booted = 1u;
        }
        deliver(at, event);
        break;
    case NCE_AT_EVENT_STRAY:
        at->stray_lines++;
        if (at->booted != 0u && event->final != NCE_AT_FINAL_NONE && at->done == 0u) {
            /* The final of the command the boot banner interrupted: within the grace time. */
            at->done = 1u;
            at->final = event->final;
            at->code = event->code;
            nce_at_strlcpy(at->final_line, event->line, sizeof at->final_line);
            break;
        }
        deliver(at, event);
        break;
    case NCE_AT_EVENT_NOISE:
        at->noise_events++;
        break;
    case NCE_AT_EVENT_URC:
    default:
        deliver(at, event);
        break;
    }
}

void nce_at_init(nce_at_t *at, const nce_at_io_t *io, nce_at_urc_fn urc_handler, void *urc_ctx)
{
    memset(at, 0, sizeof *at);
    at->io = io;
    at->urc_handler = urc_handler;
    at->urc_ctx = urc_ctx;
    nce_at_reader_init(&at->reader, on_event, at);
}

static uint32_t now(const nce_at_t *at)
{
    return at->io->now_ms(at->io->ctx);
}

/* Read once (up to timeout_ms) and feed the reader. 0 ok (maybe nothing came), -1 I/O error. */
static int pump(nce_at_t *at, uint32_t timeout_ms)
{
    uint8_t buf[READ_CHUNK];
    int n = at->io->read(at->io->ctx, buf, sizeof buf, timeout_ms);

    if (n < 0) {
        return -1;
    }
    if (n > 0) {
        nce_at_feed(&at->reader, buf, (size_t)n);
    }
    return 0;
}

static int write_all(nce_at_t *at, const uint8_t *data, size_t len)
{
    return len == 0u || at->io->write(at->io->ctx, data, len) == (int)len ? 0 : -1;
}

static nce_at_status_t status_of(const nce_at_t *at)
{
    switch (at->final) {
    case NCE_AT_FINAL_OK:
        return NCE_AT_OK;
    case NCE_AT_FINAL_CME:
        return NCE_AT_CME;
    case NCE_AT_FINAL_CMS:
        return NCE_AT_CMS;
    case NCE_AT_FINAL_ERROR:
    case NCE_AT_FINAL_NONE:
    default:
        return NCE_AT_ERROR;
    }
}

/* Wait until the final (or, want_prompt, the prompt) came, the deadline passes or a boot
 * banner's grace time ends. */
static nce_at_status_t wait_for(nce_at_t *at, int want_prompt, uint32_t start, uint32_t timeout_ms)
{
    uint32_t boot_at = 0;

    while (at->done == 0u && !(want_prompt && at->prompted != 0u)) {
        uint32_t t = now(at);
        uint32_t elapsed = t - start;
        uint32_t wait;

        if (at->booted != 0u) {
            if (at->expects_reboot != 0u) {
                return NCE_AT_OK;
            }
            if (boot_at == 0u) {
                boot_at = t | 1u;
            }
            if (t - boot_at >= NCE_AT_BOOT_GRACE_MS) {
                return NCE_AT_REBOOTED;
            }
        }
        if (elapsed >= timeout_ms) {
            return at->booted != 0u ? NCE_AT_REBOOTED : NCE_AT_TIMEOUT;
        }
        wait = timeout_ms - elapsed;
        if (wait > 100u) {
            wait = 100u; /* re-check the boot grace timer now and then */
        }
        if (pump(at, wait) < 0) {
            return NCE_AT_IO;
        }
    }
    return NCE_AT_OK;
}

nce_at_status_t nce_at_command_ex(nce_at_t *at, const char *command, uint32_t timeout_ms,
                                  const nce_at_options_t *options)
{
    static const nce_at_options_t none;
    size_t len = strlen(command);
    uint32_t start;
    nce_at_status_t status;

    if (options == NULL) {
        options = &none;
    }
    if (len == 0u || len > NCE_AT_COMMAND_MAX) {
        return NCE_AT_ARGUMENT;
    }
    if (timeout_ms == 0u) {
        timeout_ms = nce_at_default_timeout(command);
    }
    /* What arrived before this command is unsolicited: hand it out first. */
    if (pump(at, 0u) < 0) {
        return NCE_AT_IO;
    }
    at->info_len = 0u;
    at->info_count = 0u;
    at->info_overflow = 0u;
    at->final_line[0] = '\0';
    at->code = 0;
    at->done = 0u;
    at->prompted = 0u;
    at->booted = 0u;
    at->final = NCE_AT_FINAL_NONE;
    at->binary = options->binary;
    at->binary_cap = options->binary_cap;
    at->binary_len = 0u;
    at->binary_seen = 0u;
    nce_at_reader_start(&at->reader, command);
    at->expects_reboot = (at->reader.behaviour & NCE_AT_B_EXPECTS_REBOOT) != 0u;
    if (options->payload != NULL && options->no_prompt == 0u) {
        at->reader.prompts_enabled = 1u;
    }
    start = now(at);
    if (write_all(at, (const uint8_t *)command, len) < 0 || write_all(at, (const uint8_t *)"\r", 1u) < 0) {
        nce_at_reader_abandon(&at->reader);
        return NCE_AT_IO;
    }
    if (options->payload != NULL) {
        if (options->no_prompt == 0u) {
            status = wait_for(at, 1, start, timeout_ms);
            if (status == NCE_AT_OK && at->done != 0u && at->prompted == 0u) {
                return status_of(at); /* refused before the prompt (ERROR / CME) */
            }
            if (status != NCE_AT_OK) {
                nce_at_reader_abandon(&at->reader);
                return status;
            }
        }
        if (write_all(at, options->payload, options->payload_len) < 0 ||
            write_all(at, options->payload_end, options->payload_end_len) < 0) {
            nce_at_reader_abandon(&at->reader);
            return NCE_AT_IO;
        }
    }
    status = wait_for(at, 0, start, timeout_ms);
    if (status != NCE_AT_OK) {
        nce_at_reader_abandon(&at->reader);
        if (at->final_line[0] == '\0' && status == NCE_AT_REBOOTED) {
            nce_at_strlcpy(at->final_line, "(reboot)", sizeof at->final_line);
        }
        return status;
    }
    if (at->done == 0u) {
        return NCE_AT_OK; /* a command that expects a reboot and got it */
    }
    return status_of(at);
}

nce_at_status_t nce_at_command(nce_at_t *at, const char *command, uint32_t timeout_ms)
{
    return nce_at_command_ex(at, command, timeout_ms, NULL);
}

nce_at_status_t nce_at_wait(nce_at_t *at, uint32_t wait_ms)
{
    uint32_t start = now(at);

    at->woken = 0u;
    do {
        uint32_t elapsed = now(at) - start;

        if (pump(at, wait_ms > elapsed ? wait_ms - elapsed : 0u) < 0) {
            return NCE_AT_IO;
        }
        if (wait_ms == 0u || at->woken != 0u) {
            break;
        }
    } while (now(at) - start < wait_ms);
    return NCE_AT_OK;
}

size_t nce_at_info_count(const nce_at_t *at)
{
    return at->info_count;
}

const char *nce_at_info(const nce_at_t *at, size_t index)
{
    size_t offset = 0;

    if (index >= at->info_count) {
        return NULL;
    }
    while (index-- > 0u) {
        offset += strlen(at->info + offset) + 1u;
    }
    return at->info + offset;
}

const char *nce_at_value(const nce_at_t *at, const char *prefix)
{
    size_t i;

    for (i = 0; i < at->info_count; i++) {
        const char *line = nce_at_info(at, i);

        if (nce_at_starts_with(line, prefix)) {
            line += strlen(prefix);
            while (*line == ' ') {
                line++;
            }
            return line;
        }
    }
    return NULL;
}

const char *nce_at_bare(const nce_at_t *at)
{
    size_t i;

    for (i = 0; i < at->info_count; i++) {
        char prefix[24];
        const char *line = nce_at_info(at, i);

        nce_at_line_prefix(line, prefix, sizeof prefix);
        if (prefix[0] == '\0') {
            return line;
        }
    }
    return NULL;
}

int nce_at_code(const nce_at_t *at)
{
    return at->code;
}

const char *nce_at_final_line(const nce_at_t *at)
{
    return at->final_line;
}

size_t nce_at_binary_len(const nce_at_t *at)
{
    return at->binary_len;
}

int nce_at_binary_seen(const nce_at_t *at)
{
    return at->binary_seen;
}
