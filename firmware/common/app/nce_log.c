/*
 * nce_log.c - console log lines in the format of firmware/README.md, built without printf.
 */
#include <stddef.h>
#include <stdint.h>

#include "nce_app.h"
#include "nce_platform.h"

static uint8_t s_level = NCE_LOG_INFO;

static const char s_level_chars[4] = {'E', 'W', 'I', 'D'};
static const char s_truncated[] = " truncated=1";

void nce_log_set_level(uint8_t level)
{
    s_level = level > NCE_LOG_DEBUG ? NCE_LOG_DEBUG : level;
}

/* Room kept for " truncated=1\n" so a cut line still ends well-formed. */
#define LOG_RESERVE (sizeof s_truncated)

static size_t room(const nce_log_line_t *line)
{
    size_t cap = sizeof line->text - LOG_RESERVE;

    return line->length < cap ? cap - line->length : 0u;
}

static void put(nce_log_line_t *line, const char *text, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        line->text[line->length++] = text[i];
    }
}

static size_t text_length(const char *text)
{
    size_t n = 0;

    while (text[n] != '\0') {
        n++;
    }
    return n;
}

static size_t u32_digits(char *out, uint32_t value)
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

/* Appends one whole field or marks the line truncated: fields are never cut in the middle. */
static void field(nce_log_line_t *line, const char *key, const char *value, size_t value_len)
{
    size_t key_len = text_length(key);
    size_t need = 1u + key_len + 1u + value_len;

    if (!line->enabled || line->overflow) {
        return;
    }
    if (need > room(line)) {
        line->overflow = 1u;
        return;
    }
    put(line, " ", 1u);
    put(line, key, key_len);
    put(line, "=", 1u);
    put(line, value, value_len);
}

void nce_log_begin(nce_log_line_t *line, uint8_t level, const char *event)
{
    char digits[10];
    char head[3] = {' ', 'I', ' '};
    size_t n;

    line->length = 0u;
    line->overflow = 0u;
    line->enabled = (uint8_t)(level <= s_level);
    if (!line->enabled) {
        return;
    }
    n = u32_digits(digits, nce_platform_now_ms());
    put(line, digits, n);
    head[1] = s_level_chars[level > NCE_LOG_DEBUG ? NCE_LOG_DEBUG : level];
    put(line, head, sizeof head);
    n = text_length(event);
    if (n > room(line)) {
        n = room(line);
    }
    put(line, event, n);
}

void nce_log_str(nce_log_line_t *line, const char *key, const char *value)
{
    /* A bare token must not contain spaces: fall back to quoting when it does. */
    size_t i;

    for (i = 0; value[i] != '\0'; i++) {
        if (value[i] == ' ' || value[i] == '"' || value[i] == '\\' || value[i] == '\n' || value[i] == '\r') {
            nce_log_quoted(line, key, value);
            return;
        }
    }
    if (i == 0u) {
        nce_log_quoted(line, key, value);
        return;
    }
    field(line, key, value, i);
}

void nce_log_raw(nce_log_line_t *line, const char *key, const char *value)
{
    field(line, key, value, text_length(value));
}

void nce_log_quoted(nce_log_line_t *line, const char *key, const char *value)
{
    char escaped[200];
    size_t n = 0;
    size_t i;

    escaped[n++] = '"';
    for (i = 0; value[i] != '\0' && n + 3u < sizeof escaped; i++) {
        char c = value[i];

        if (c == '"' || c == '\\') {
            escaped[n++] = '\\';
            escaped[n++] = c;
        } else if ((unsigned char)c < 0x20u || (unsigned char)c == 0x7Fu) {
            escaped[n++] = '?'; /* control characters would break the one-line rule */
        } else {
            escaped[n++] = c;
        }
    }
    escaped[n++] = '"';
    field(line, key, escaped, n);
}

void nce_log_u32(nce_log_line_t *line, const char *key, uint32_t value)
{
    char digits[10];

    field(line, key, digits, u32_digits(digits, value));
}

void nce_log_i32(nce_log_line_t *line, const char *key, int32_t value)
{
    char digits[11];
    size_t n = 0;
    uint32_t magnitude = (uint32_t)value;

    if (value < 0) {
        digits[n++] = '-';
        magnitude = 0u - magnitude;
    }
    n += u32_digits(&digits[n], magnitude);
    field(line, key, digits, n);
}

void nce_log_hex(nce_log_line_t *line, const char *key, const uint8_t *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t key_len = text_length(key);
    size_t i;

    if (!line->enabled || line->overflow) {
        return;
    }
    if (2u + key_len + 2u * len > room(line)) {
        line->overflow = 1u;
        return;
    }
    put(line, " ", 1u);
    put(line, key, key_len);
    put(line, "=", 1u);
    for (i = 0; i < len; i++) {
        line->text[line->length++] = hex[data[i] >> 4];
        line->text[line->length++] = hex[data[i] & 0x0Fu];
    }
}

void nce_log_end(nce_log_line_t *line)
{
    if (!line->enabled) {
        return;
    }
    if (line->overflow) {
        put(line, s_truncated, sizeof s_truncated - 1u);
    }
    line->text[line->length++] = '\n';
    nce_platform_console_write(line->text, line->length);
}

void nce_log_error(const char *cause, const char *where, const nce_modem_error_t *evidence)
{
    nce_log_line_t line;

    nce_log_begin(&line, NCE_LOG_ERROR, "error");
    nce_log_str(&line, "cause", cause);
    nce_log_str(&line, "where", where);
    if (evidence != NULL) {
        if (evidence->code != 0) {
            nce_log_i32(&line, "code", evidence->code);
        }
        if (evidence->command[0] != '\0') {
            nce_log_quoted(&line, "command", evidence->command);
        }
        if (evidence->final[0] != '\0') {
            nce_log_quoted(&line, "final", evidence->final);
        }
    }
    nce_log_end(&line);
}
