/*
 * nce_app_config.c - the config block (nce_config.h): defaults, CRC-32, parse and check.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_app_config.h"
#include "nce_config.h"

#define OFFSET_MAGIC 0u
#define OFFSET_VERSION 4u
#define OFFSET_SIZE 6u
#define OFFSET_APN 8u
#define OFFSET_UDP_HOST 40u
#define OFFSET_UDP_PORT 88u
#define OFFSET_COAP_PORT 90u
#define OFFSET_COAP_HOST 92u
#define OFFSET_PERIOD 140u
#define OFFSET_ICCID 144u
#define OFFSET_LOG_LEVEL 168u
#define OFFSET_FLAGS 169u
#define OFFSET_RUN_FOR 170u
#define OFFSET_TEMPLATE 172u
#define OFFSET_TOPIC 204u
#define OFFSET_CRC 252u

static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t i;

    for (i = 0; i + 1u < cap && src[i] != '\0'; i++) {
        dst[i] = src[i];
    }
    for (; i < cap; i++) {
        dst[i] = '\0';
    }
}

void nce_app_config_defaults(nce_config_t *out)
{
    memset(out, 0, sizeof *out);
    copy_text(out->apn, sizeof out->apn, "iot.1nce.net");
    copy_text(out->udp_host, sizeof out->udp_host, "udp.os.1nce.com");
    out->udp_port = 4445u;
    out->coap_port = 5683u;
    copy_text(out->coap_host, sizeof out->coap_host, "coap.os.1nce.com");
    out->uplink_period_s = 60u;
    out->log_level = 2u; /* info */
    out->flags = NCE_CONFIG_FLAG_UDP | NCE_CONFIG_FLAG_COAP | NCE_CONFIG_FLAG_BOOTSTRAP;
    out->run_for_s = 0u;
    copy_text(out->template_name, sizeof out->template_name, "nce_sensor");
    copy_text(out->coap_topic, sizeof out->coap_topic, "nce");
}

uint32_t nce_app_crc32(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int bit;

    for (i = 0; i < len; i++) {
        crc ^= data[i];
        for (bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* A NUL-terminated text field; 0 when it holds no NUL. */
static int read_text(char *dst, size_t cap, const uint8_t *src)
{
    size_t i;

    for (i = 0; i < cap; i++) {
        if (src[i] == 0u) {
            memcpy(dst, src, cap);
            return 1;
        }
    }
    return 0;
}

static int all_bytes(const uint8_t *block, uint8_t value)
{
    size_t i;

    for (i = 0; i < NCE_CONFIG_BLOCK_SIZE; i++) {
        if (block[i] != value) {
            return 0;
        }
    }
    return 1;
}

static int iccid_ok(const char *iccid)
{
    size_t n = 0;

    while (iccid[n] != '\0') {
        if (iccid[n] < '0' || iccid[n] > '9') {
            return 0;
        }
        n++;
    }
    return n == 0u || n == 19u || n == 20u;
}

int nce_app_config_parse(const uint8_t *block, nce_config_t *out)
{
    nce_config_t c;

    if (block == NULL || all_bytes(block, 0xFFu) || all_bytes(block, 0x00u)) {
        return -1;
    }
    if (memcmp(&block[OFFSET_MAGIC], "NCEC", 4u) != 0) {
        return -2;
    }
    if (le16(&block[OFFSET_VERSION]) != NCE_CONFIG_VERSION) {
        return -3;
    }
    if (le16(&block[OFFSET_SIZE]) != NCE_CONFIG_BLOCK_SIZE) {
        return -4;
    }
    if (le32(&block[OFFSET_CRC]) != nce_app_crc32(block, OFFSET_CRC)) {
        return -5;
    }
    memset(&c, 0, sizeof c);
    if (!read_text(c.apn, sizeof c.apn, &block[OFFSET_APN]) ||
        !read_text(c.udp_host, sizeof c.udp_host, &block[OFFSET_UDP_HOST]) ||
        !read_text(c.coap_host, sizeof c.coap_host, &block[OFFSET_COAP_HOST]) ||
        !read_text(c.expected_iccid, sizeof c.expected_iccid, &block[OFFSET_ICCID]) ||
        !read_text(c.template_name, sizeof c.template_name, &block[OFFSET_TEMPLATE]) ||
        !read_text(c.coap_topic, sizeof c.coap_topic, &block[OFFSET_TOPIC])) {
        return -6;
    }
    c.udp_port = le16(&block[OFFSET_UDP_PORT]);
    c.coap_port = le16(&block[OFFSET_COAP_PORT]);
    c.uplink_period_s = le32(&block[OFFSET_PERIOD]);
    c.log_level = block[OFFSET_LOG_LEVEL];
    c.flags = block[OFFSET_FLAGS];
    c.run_for_s = le16(&block[OFFSET_RUN_FOR]);
    if (c.uplink_period_s < 1u || c.uplink_period_s > 86400u || c.log_level > 3u ||
        !iccid_ok(c.expected_iccid)) {
        return -7;
    }
    *out = c;
    return 0;
}
