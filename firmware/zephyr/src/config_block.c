/*
 * config_block.c - the config block (nce_config.h) of the Zephyr image.
 *
 * .nce_config is placed 0x400 into ROM by nce_config.ld and left erased (0xFF), so `hil image
 * stamp` can write a block into the ELF/HEX/BIN later. When it is still erased and
 * CONFIG_NCE_CONFIG_FROM_KCONFIG is on, the port hands the app a block built from the Kconfig
 * options instead; the app checks either the same way.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <zephyr/kernel.h>

#include "nce_app_config.h"
#include "nce_config.h"
#include "nce_platform.h"

#define FF4 0xFFu, 0xFFu, 0xFFu, 0xFFu
#define FF16 FF4, FF4, FF4, FF4
#define FF64 FF16, FF16, FF16, FF16
#define FF256 FF64, FF64, FF64, FF64

/* `used`: nothing refers to it by address but the app, through this pointer. */
__attribute__((section(".nce_config"), used)) const uint8_t nce_config_block[NCE_CONFIG_BLOCK_SIZE] = {FF256};

#if defined(CONFIG_NCE_CONFIG_FROM_KCONFIG)
static uint8_t s_kconfig_block[NCE_CONFIG_BLOCK_SIZE];

static void put_u16(uint8_t *at, uint32_t value)
{
    at[0] = (uint8_t)(value & 0xFFu);
    at[1] = (uint8_t)((value >> 8) & 0xFFu);
}

static void put_u32(uint8_t *at, uint32_t value)
{
    put_u16(at, value & 0xFFFFu);
    put_u16(at + 2, value >> 16);
}

/* NUL-padded text; cut to leave at least one NUL (the app rejects an unterminated field). */
static void put_text(uint8_t *at, size_t size, const char *text)
{
    size_t len = strlen(text);

    if (len > size - 1u) {
        len = size - 1u;
    }
    memcpy(at, text, len);
}

static void build_from_kconfig(uint8_t *block)
{
    uint8_t flags = 0u;

    memset(block, 0, NCE_CONFIG_BLOCK_SIZE);
    memcpy(block, "NCEC", 4);
    put_u16(block + 4, NCE_CONFIG_VERSION);
    put_u16(block + 6, NCE_CONFIG_BLOCK_SIZE);
    put_text(block + 8, 32u, CONFIG_NCE_APN);
    put_text(block + 40, 48u, CONFIG_NCE_UDP_HOST);
    put_u16(block + 88, CONFIG_NCE_UDP_PORT);
    put_u16(block + 90, CONFIG_NCE_COAP_PORT);
    put_text(block + 92, 48u, CONFIG_NCE_COAP_HOST);
    put_u32(block + 140, CONFIG_NCE_UPLINK_PERIOD_S);
    put_text(block + 144, 24u, CONFIG_NCE_EXPECTED_ICCID);
    block[168] = (uint8_t)CONFIG_NCE_LOG_LEVEL;
#if defined(CONFIG_NCE_UDP_UPLINKS)
    flags |= NCE_CONFIG_FLAG_UDP;
#endif
#if defined(CONFIG_NCE_COAP_UPLINKS)
    flags |= NCE_CONFIG_FLAG_COAP;
#endif
#if defined(CONFIG_NCE_DEVICE_AUTHENTICATOR)
    flags |= NCE_CONFIG_FLAG_BOOTSTRAP;
#endif
    block[169] = flags;
    put_u16(block + 170, CONFIG_NCE_RUN_FOR_S);
    put_text(block + 172, 32u, CONFIG_NCE_TEMPLATE_NAME);
    put_text(block + 204, 16u, CONFIG_NCE_COAP_TOPIC);
    put_u32(block + 252, nce_app_crc32(block, 252u));
}
#endif

static int block_is_erased(const volatile uint8_t *block)
{
    size_t i;

    for (i = 0; i < NCE_CONFIG_BLOCK_SIZE; i++) {
        if (block[i] != 0xFFu) {
            return 0;
        }
    }
    return 1;
}

const uint8_t *nce_platform_config_block(void)
{
    /* volatile read: the compiler must not fold the erased initialiser; the image may be
     * stamped after the build. */
    const volatile uint8_t *flash = nce_config_block;

    if (!block_is_erased(flash)) {
        return (const uint8_t *)flash;
    }
#if defined(CONFIG_NCE_CONFIG_FROM_KCONFIG)
    build_from_kconfig(s_kconfig_block);
    return s_kconfig_block;
#else
    return (const uint8_t *)flash;
#endif
}
