/*
 * nce_config.h - the config block: settings read at boot from a fixed flash address.
 *
 * The block is NCE_CONFIG_BLOCK_SIZE (256) bytes, little-endian, at the board's `config_address`
 * (boards/<board>.yaml). The linker script reserves it filled with 0xFF (erased flash = absent);
 * `hil image stamp` writes it into an ELF, HEX or BIN without rebuilding. The Python twin of this
 * layout is hil/firmware/config_block.py; a test checks that the two agree.
 *
 * Layout (offset, size, field):
 *     0   4  magic            "NCEC" (0x4E 0x43 0x45 0x43)
 *     4   2  version          NCE_CONFIG_VERSION
 *     6   2  size             NCE_CONFIG_BLOCK_SIZE (total, header and CRC included)
 *     8  32  apn              NUL-padded text
 *    40  48  udp_host         Device Integrator UDP host (udp.os.1nce.com)
 *    88   2  udp_port         4445
 *    90   2  coap_port        5683 (Device Integrator CoAP and Device Authenticator)
 *    92  48  coap_host        coap.os.1nce.com
 *   140   4  uplink_period_s  seconds between uplink rounds (1..86400)
 *   144  24  expected_iccid   19/20 digits, or empty = any SIM
 *   168   1  log_level        0 error, 1 warn, 2 info, 3 debug
 *   169   1  flags            bit 0 UDP uplinks, bit 1 CoAP uplinks, bit 2 bootstrap
 *   170   2  run_for_s        0 = run forever; else exit (status 0/1) after this many seconds
 *   172  32  template_name    the Energy Saver template the uplinks are encoded for
 *   204  16  coap_topic       Uri-Query t=<topic> of CoAP uplinks
 *   220  32  reserved         zero
 *   252   4  crc32            IEEE 802.3 CRC-32 (zlib's) of bytes 0..251
 *
 * Text fields must hold at least one NUL; a block with a bad magic, version, size, CRC or an
 * unterminated text field is rejected as a whole and the compiled-in defaults apply.
 */
#ifndef NCE_CONFIG_H
#define NCE_CONFIG_H

#include <stdint.h>

#define NCE_CONFIG_BLOCK_SIZE 256u
#define NCE_CONFIG_VERSION 1u

#define NCE_CONFIG_FLAG_UDP 0x01u
#define NCE_CONFIG_FLAG_COAP 0x02u
#define NCE_CONFIG_FLAG_BOOTSTRAP 0x04u

typedef struct {
    char apn[32];
    char udp_host[48];
    uint16_t udp_port;
    uint16_t coap_port;
    char coap_host[48];
    uint32_t uplink_period_s;
    char expected_iccid[24];
    uint8_t log_level;
    uint8_t flags;
    uint16_t run_for_s;
    char template_name[32];
    char coap_topic[16];
} nce_config_t;

#endif /* NCE_CONFIG_H */
