/*
 * nce_at_reader.c - the sans-I/O AT reader: bytes in, events out (nce_at.h). Mirrors
 * at_commands/framing.py (tokens) and at_commands/session.py (classification) so that the
 * same byte stream, split anywhere, gives the same events.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_at.h"
#include "nce_at_tables.h"

/* ---- small text tests ------------------------------------------------------------------ */

static int is_printable(uint8_t c)
{
    return c >= 0x20u && c <= 0x7eu;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static int is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int equal_nocase(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = (*a >= 'a' && *a <= 'z') ? (char)(*a - 32) : *a;
        char y = (*b >= 'a' && *b <= 'z') ? (char)(*b - 32) : *b;

        if (x != y) {
            return 0;
        }
    }
    return *a == *b;
}

/* ---- events ----------------------------------------------------------------------------- */

static void emit(nce_at_reader_t *r, nce_at_event_t *event)
{
    if (event->kind == NCE_AT_EVENT_NOISE) {
        r->noise_events++;
    }
    if (r->on_event != NULL) {
        r->on_event(r->ctx, event);
    }
}

static void emit_simple(nce_at_reader_t *r, nce_at_event_kind_t kind, const char *line)
{
    nce_at_event_t event;

    memset(&event, 0, sizeof event);
    event.kind = kind;
    event.line = line;
    event.line_len = strlen(line);
    emit(r, &event);
}

static void emit_noise(nce_at_reader_t *r, const uint8_t *data, size_t len)
{
    nce_at_event_t event;

    memset(&event, 0, sizeof event);
    event.kind = NCE_AT_EVENT_NOISE;
    event.line = "";
    event.data = data;
    event.data_len = len;
    emit(r, &event);
}

static void emit_final(nce_at_reader_t *r, nce_at_event_kind_t kind, const char *line,
                       nce_at_final_t final, int code)
{
    nce_at_event_t event;

    memset(&event, 0, sizeof event);
    event.kind = kind;
    event.line = line;
    event.line_len = strlen(line);
    event.final = final;
    event.code = code;
    emit(r, &event);
}

/* ---- the pending command ---------------------------------------------------------------- */

void nce_at_reader_init(nce_at_reader_t *reader, nce_at_event_fn on_event, void *ctx)
{
    memset(reader, 0, sizeof *reader);
    reader->on_event = on_event;
    reader->ctx = ctx;
}

void nce_at_reader_start(nce_at_reader_t *reader, const char *command)
{
    const char *text = command;
    size_t len;

    while (is_space(*text)) {
        text++;
    }
    len = strlen(text);
    while (len > 0u && (is_space(text[len - 1u]) || text[len - 1u] == '\r' || text[len - 1u] == '\n')) {
        len--;
    }
    if (len > NCE_AT_COMMAND_MAX) {
        len = NCE_AT_COMMAND_MAX;
    }
    memcpy(reader->command, text, len);
    reader->command[len] = '\0';
    reader->pending = 1u;
    reader->echo_seen = 0u;
    reader->body_next = 0u;
    reader->data_to_response = 0u;
    reader->behaviour = nce_at_behaviour_of(reader->command);
    reader->prompts_enabled = (reader->behaviour & NCE_AT_B_PROMPT) != 0u;
    reader->prefix_count = (uint8_t)nce_at_info_prefixes(reader->command, reader->prefixes, NCE_AT_PREFIX_MAX);
}

void nce_at_reader_abandon(nce_at_reader_t *reader)
{
    reader->pending = 0u;
    reader->prompts_enabled = 0u;
    reader->data_to_response = 0u;
}

void nce_at_reader_reset(nce_at_reader_t *reader)
{
    reader->line_len = 0u;
    reader->discarding = 0u;
    reader->skip_lf = 0u;
    reader->swallow_space = 0u;
    reader->raw_left = 0u;
    reader->raw_len = 0u;
    reader->prompts_enabled = 0u;
    reader->urc_awaiting_body = 0u;
    reader->urc_awaiting_data = 0u;
    reader->data_to_response = 0u;
}

int nce_at_reader_pending(const nce_at_reader_t *reader)
{
    return reader->pending != 0u;
}

static void finish(nce_at_reader_t *r, const char *line, nce_at_final_t final, int code)
{
    r->pending = 0u;
    r->prompts_enabled = 0u;
    r->data_to_response = 0u;
    emit_final(r, NCE_AT_EVENT_FINAL, line, final, code);
}

static int has_own_prefix(const nce_at_reader_t *r, const char *prefix)
{
    uint8_t i;

    for (i = 0; i < r->prefix_count; i++) {
        if (strcmp(r->prefixes[i], prefix) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- URCs ------------------------------------------------------------------------------- */

static void emit_urc(nce_at_reader_t *r, const char *line, const char *prefix)
{
    if (prefix[0] != '\0' && nce_at_is_two_line_urc(prefix)) {
        nce_at_strlcpy(r->urc_line, line, sizeof r->urc_line);
        r->urc_awaiting_body = 1u;
        return;
    }
    if (prefix[0] != '\0' && nce_at_is_binary_urc(prefix)) {
        nce_at_strlcpy(r->urc_line, line, sizeof r->urc_line);
        r->urc_awaiting_data = 1u;
        return;
    }
    emit_simple(r, NCE_AT_EVENT_URC, line);
}

static void on_boot(nce_at_reader_t *r, const char *line)
{
    nce_at_event_t event;
    uint8_t ended = r->pending;

    if (ended != 0u && (r->behaviour & NCE_AT_B_EXPECTS_REBOOT) != 0u) {
        finish(r, line, NCE_AT_FINAL_OK, 0);
        ended = 0u;
    }
    r->pending = 0u;
    nce_at_reader_reset(r);
    memset(&event, 0, sizeof event);
    event.kind = NCE_AT_EVENT_BOOT;
    event.line = line;
    event.line_len = strlen(line);
    event.command_ended = ended;
    emit(r, &event);
}

/* ---- lines ------------------------------------------------------------------------------ */

/* A final result code of the pending command: 1 (and the FINAL emitted) or 0. */
static int try_final(nce_at_reader_t *r, const char *line)
{
    nce_at_final_t final = nce_at_final_of(line, r->behaviour);

    if (final == NCE_AT_FINAL_NONE) {
        if ((r->behaviour & NCE_AT_B_FINAL_CONNECT) != 0u && nce_at_starts_with(line, "CONNECT")) {
            finish(r, line, NCE_AT_FINAL_OK, 0);
            return 1;
        }
        if ((r->behaviour & NCE_AT_B_FINAL_IPV4) != 0u && nce_at_is_ipv4(line)) {
            emit_simple(r, NCE_AT_EVENT_INFO, line);
            finish(r, line, NCE_AT_FINAL_OK, 0);
            return 1;
        }
        return 0;
    }
    finish(r, line, final, nce_at_error_code(line));
    return 1;
}

static void add_info(nce_at_reader_t *r, const char *line, const char *prefix)
{
    emit_simple(r, NCE_AT_EVENT_INFO, line);
    if (prefix[0] != '\0' && nce_at_is_two_line_info(prefix)) {
        r->body_next = 1u;
    }
    /* A binary payload, if the header rules matched this line, belongs to this answer. */
    r->data_to_response = 1u;
}

static void on_idle_line(nce_at_reader_t *r, const char *line, const char *prefix)
{
    nce_at_final_t final = nce_at_final_of(line, 0u);

    if (final != NCE_AT_FINAL_NONE) {
        emit_final(r, NCE_AT_EVENT_STRAY, line, final, nce_at_error_code(line));
        return;
    }
    if (nce_at_is_boot_line(line)) {
        on_boot(r, line);
        return;
    }
    if (nce_at_is_urc_line(line, prefix)) {
        emit_urc(r, line, prefix);
        return;
    }
    emit_final(r, NCE_AT_EVENT_STRAY, line, NCE_AT_FINAL_NONE, 0);
}

static void on_line(nce_at_reader_t *r, const char *line)
{
    char prefix[24];
    int shape;

    r->data_to_response = 0u;
    if (r->urc_awaiting_body != 0u) {
        nce_at_event_t event;

        r->urc_awaiting_body = 0u;
        memset(&event, 0, sizeof event);
        event.kind = NCE_AT_EVENT_URC;
        event.line = r->urc_line;
        event.line_len = strlen(r->urc_line);
        event.body = line;
        emit(r, &event);
        return;
    }
    nce_at_line_prefix(line, prefix, sizeof prefix);
    if (r->pending == 0u) {
        on_idle_line(r, line, prefix);
        return;
    }
    if (r->body_next != 0u) {
        r->body_next = 0u;
        emit_simple(r, NCE_AT_EVENT_INFO, line);
        return;
    }
    if (r->echo_seen == 0u && equal_nocase(line, r->command)) {
        r->echo_seen = 1u;
        return;
    }
    if (try_final(r, line)) {
        return;
    }
    if (r->prompts_enabled != 0u && (strcmp(line, ">") == 0 || strcmp(line, "@") == 0)) {
        r->prompts_enabled = 0u;
        emit_simple(r, NCE_AT_EVENT_PROMPT, line);
        return;
    }
    if (nce_at_is_boot_line(line)) {
        on_boot(r, line);
        return;
    }
    if (prefix[0] != '\0' && has_own_prefix(r, prefix)) {
        /* Some prefixes are both an answer and a URC: told apart by the line's shape. */
        shape = nce_at_unsolicited_by_shape(line, prefix);
        if (shape == 1) {
            emit_urc(r, line, prefix);
        } else {
            add_info(r, line, prefix);
        }
        return;
    }
    if (nce_at_is_urc_line(line, prefix)) {
        emit_urc(r, line, prefix);
        return;
    }
    add_info(r, line, prefix);
}

/* ---- binary payloads -------------------------------------------------------------------- */

static void on_data(nce_at_reader_t *r)
{
    nce_at_event_t event;

    memset(&event, 0, sizeof event);
    event.data = r->raw;
    event.data_len = r->raw_len;
    if (r->urc_awaiting_data != 0u) {
        r->urc_awaiting_data = 0u;
        event.kind = NCE_AT_EVENT_URC;
        event.line = r->urc_line;
        event.line_len = strlen(r->urc_line);
        emit(r, &event);
    } else if (r->pending != 0u && r->data_to_response != 0u) {
        event.kind = NCE_AT_EVENT_BINARY;
        event.line = r->raw_header;
        event.line_len = strlen(r->raw_header);
        emit(r, &event);
    } else {
        event.kind = NCE_AT_EVENT_NOISE;
        event.line = "payload with no owner";
        event.line_len = strlen(event.line);
        emit(r, &event);
    }
    r->data_to_response = 0u;
    r->raw_len = 0u;
}

/* ---- tokens ----------------------------------------------------------------------------- */

/* A complete raw line (unterminated bytes excluded) -> LINE / NOISE, as framing._emit_line. */
static void emit_line(nce_at_reader_t *r, char *raw, size_t len)
{
    size_t i;
    size_t start;
    size_t stop;
    int unprintable = 0;

    for (i = 0; i < len; i++) {
        if (!is_printable((uint8_t)raw[i]) && raw[i] != '\t') {
            unprintable = 1;
            break;
        }
    }
    if (unprintable) {
        /* Garbage glued to a line: keep the printable core when only the edges are garbage and
         * the core looks like something a modem says (a result code or a prefixed line). */
        int salvage = 1;

        emit_noise(r, (const uint8_t *)raw, len);
        start = 0u;
        while (start < len && !is_printable((uint8_t)raw[start])) {
            start++;
        }
        stop = len;
        while (stop > start && !is_printable((uint8_t)raw[stop - 1u])) {
            stop--;
        }
        if (stop == start) {
            return;
        }
        for (i = start; i < stop; i++) {
            if (!is_printable((uint8_t)raw[i]) && raw[i] != '\t') {
                salvage = 0;
                break;
            }
        }
        if (salvage) {
            const char *core = raw + start;
            size_t core_len = stop - start;

            salvage = (core_len >= 2u && core[0] == 'O' && core[1] == 'K') ||
                      (core_len >= 5u && strncmp(core, "ERROR", 5) == 0) ||
                      (core_len >= 2u && strchr("+%#^$", core[0]) != NULL && is_word(core[1]));
        }
        if (!salvage) {
            return;
        }
        raw += start;
        len = stop - start;
    }
    /* strip() */
    while (len > 0u && (is_space(raw[0]))) {
        raw++;
        len--;
    }
    while (len > 0u && is_space(raw[len - 1u])) {
        len--;
    }
    if (len == 0u) {
        return;
    }
    {
        char text[NCE_AT_LINE_MAX + 1u];

        memcpy(text, raw, len);
        text[len] = '\0';
        on_line(r, text);
    }
}

/* The line in the buffer is complete (a CR or LF came). */
static void end_line(nce_at_reader_t *r, uint8_t terminator)
{
    long length;

    if (r->discarding != 0u) {
        r->discarding = 0u;
        r->line_len = 0u;
        return;
    }
    if (r->line_len == 0u) {
        return;
    }
    r->line[r->line_len] = '\0';
    length = nce_at_binary_header_length(r->line);
    if (length >= 0) {
        if ((size_t)length > NCE_AT_BINARY_MAX) {
            static const char over[] = "binary length over limit";

            emit_noise(r, (const uint8_t *)over, sizeof over - 1u);
        } else {
            nce_at_strlcpy(r->raw_header, r->line, sizeof r->raw_header);
            emit_line(r, r->line, r->line_len);
            r->line_len = 0u;
            r->raw_len = 0u;
            r->raw_left = (size_t)length;
            r->skip_lf = terminator == '\r';
            if (length == 0) {
                r->skip_lf = 0u; /* as framing.py: the empty payload is complete at once */
                on_data(r);
            }
            return;
        }
    }
    emit_line(r, r->line, r->line_len);
    r->line_len = 0u;
}

void nce_at_feed(nce_at_reader_t *r, const uint8_t *data, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t c = data[i];

        if (r->raw_left > 0u) {
            size_t take;

            if (r->skip_lf != 0u) {
                r->skip_lf = 0u;
                if (c == '\n') {
                    i++;
                    continue;
                }
            }
            take = len - i < r->raw_left ? len - i : r->raw_left;
            memcpy(r->raw + r->raw_len, data + i, take);
            r->raw_len += take;
            r->raw_left -= take;
            i += take;
            if (r->raw_left == 0u) {
                on_data(r);
            }
            continue;
        }
        r->skip_lf = 0u;
        i++;
        if (r->swallow_space != 0u) {
            r->swallow_space = 0u;
            if (c == ' ') {
                continue;
            }
        }
        if (c == '\r' || c == '\n') {
            end_line(r, c);
            continue;
        }
        if (r->discarding != 0u) {
            continue;
        }
        if (r->line_len == 0u && r->prompts_enabled != 0u && (c == '>' || c == '@')) {
            char prompt[2];

            prompt[0] = (char)c;
            prompt[1] = '\0';
            r->prompts_enabled = 0u;
            r->swallow_space = c == '>';
            emit_simple(r, NCE_AT_EVENT_PROMPT, prompt);
            continue;
        }
        if (r->line_len >= NCE_AT_LINE_MAX) {
            emit_noise(r, (const uint8_t *)r->line, r->line_len < 80u ? r->line_len : 80u);
            r->overlong_lines++;
            r->discarding = 1u;
            r->line_len = 0u;
            continue;
        }
        r->line[r->line_len++] = (char)c;
    }
}
