/*
 * nce_at_text.c - bounded text helpers for AT answers (nce_at.h): copy, prefix test, CSV fields.
 */
#include <stddef.h>
#include <string.h>

#include "nce_at.h"

size_t nce_at_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t len = strlen(src);

    if (cap > 0u) {
        size_t n = len < cap - 1u ? len : cap - 1u;

        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

int nce_at_starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

int nce_at_field(const char *csv, unsigned index, char *out, size_t cap)
{
    const char *p = csv;
    unsigned current = 0;
    size_t n = 0;
    int quoted = 0;

    if (cap == 0u) {
        return -1;
    }
    while (current < index) {
        if (*p == '\0') {
            return -1;
        }
        if (*p == '"') {
            quoted = !quoted;
        } else if (*p == ',' && !quoted) {
            current++;
        }
        p++;
    }
    while (*p == ' ') {
        p++;
    }
    quoted = 0;
    for (; *p != '\0'; p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (*p == ',' && !quoted) {
            break;
        }
        if (n + 1u < cap) {
            out[n++] = *p;
        }
    }
    while (n > 0u && out[n - 1u] == ' ') {
        n--;
    }
    out[n] = '\0';
    return (int)n;
}

int nce_at_field_int(const char *csv, unsigned index, long *value)
{
    char text[16];
    const char *p = text;
    long result = 0;
    int negative = 0;

    if (nce_at_field(csv, index, text, sizeof text) <= 0) {
        return -1;
    }
    if (*p == '-') {
        negative = 1;
        p++;
    }
    if (*p < '0' || *p > '9') {
        return -1;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        result = result * 10 + (*p - '0');
    }
    if (*p != '\0') {
        return -1;
    }
    *value = negative ? -result : result;
    return 0;
}
