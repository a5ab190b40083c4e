/*
 * port_log.c - the port's own console lines (boot of the port, fatal errors), formatted without
 * printf in the console log format of firmware/README.md.
 */
#include <stddef.h>
#include <stdint.h>

#include "nce_board.h"
#include "nce_platform.h"
#include "nce_port.h"

size_t nce_port_u32_text(char *out, uint32_t value)
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
    out[n] = '\0';
    return n;
}

static size_t append(char *line, size_t at, size_t cap, const char *text)
{
    while (*text != '\0' && at + 1u < cap) {
        line[at++] = *text++;
    }
    return at;
}

void nce_port_log_raw(char level, const char *event, const char *fields)
{
    char line[192];
    char level_text[4] = {' ', '?', ' ', '\0'};
    size_t n;

    n = nce_port_u32_text(line, nce_platform_now_ms());
    level_text[1] = level;
    n = append(line, n, sizeof line - 1u, level_text);
    n = append(line, n, sizeof line - 1u, event);
    if (fields != NULL && fields[0] != '\0') {
        n = append(line, n, sizeof line - 1u, " ");
        n = append(line, n, sizeof line - 1u, fields);
    }
    line[n++] = '\n';
    nce_board_console_write(line, n);
}
