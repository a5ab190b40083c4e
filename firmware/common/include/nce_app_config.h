/*
 * nce_app_config.h - the app's reading of the config block (layout: nce_config.h). Kept apart
 * from nce_app.h so that host tools and tests can build it alone.
 */
#ifndef NCE_APP_CONFIG_H
#define NCE_APP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "nce_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse and check a raw config block; returns 0 and fills out, or a negative reason:
 * -1 absent (erased), -2 magic, -3 version, -4 size, -5 crc, -6 text not terminated, -7 value. */
int nce_app_config_parse(const uint8_t *block, nce_config_t *out);
/* The compiled-in defaults (the same as hil/firmware/config_block.py's FirmwareConfig()). */
void nce_app_config_defaults(nce_config_t *out);
/* The CRC-32 (IEEE 802.3, zlib's) of data. */
uint32_t nce_app_crc32(const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* NCE_APP_CONFIG_H */
