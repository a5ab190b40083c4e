/*
 * nce_at.h - the firmware's AT driver (contract; the full API is defined by its implementation).
 *
 * Two layers: a sans-I/O parser (bytes in, events out: info lines, final result codes, prompts,
 * length-prefixed binary blocks, URCs, boot banners, noise) that the host build feeds from
 * captures exactly like at_commands.session.AtSession, and a blocking command layer over an
 * nce_at_io_t with per-command timeouts and URC dispatch while a command is pending.
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

/* nce_at_t and the rest of the API: see the implementation's section below (filled in by the
 * driver; nce_modem.h embeds an nce_at_t by value, so it must be a complete type here). */

#ifdef __cplusplus
}
#endif

#endif /* NCE_AT_H */
