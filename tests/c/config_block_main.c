/*
 * config_block_main.c - host driver for tests/test_fw_config_block.py: runs the firmware's
 * config block parser (firmware/common/app/nce_app_config.c) on 256 bytes from stdin, or prints
 * the compiled-in defaults with --defaults. Output: "reason=<n>" or one "key=value" per line.
 */
#include <stdio.h>
#include <string.h>

#include "nce_app_config.h"

static void print_config(const nce_config_t *c)
{
    printf("apn=%s\nudp_host=%s\nudp_port=%u\ncoap_port=%u\ncoap_host=%s\nuplink_period_s=%lu\n", c->apn,
           c->udp_host, (unsigned)c->udp_port, (unsigned)c->coap_port, c->coap_host,
           (unsigned long)c->uplink_period_s);
    printf("expected_iccid=%s\nlog_level=%u\nflags=%u\nrun_for_s=%u\ntemplate_name=%s\ncoap_topic=%s\n",
           c->expected_iccid, (unsigned)c->log_level, (unsigned)c->flags, (unsigned)c->run_for_s,
           c->template_name, c->coap_topic);
}

int main(int argc, char **argv)
{
    unsigned char block[NCE_CONFIG_BLOCK_SIZE];
    nce_config_t config;
    int reason;

    if (argc > 1 && strcmp(argv[1], "--defaults") == 0) {
        nce_app_config_defaults(&config);
        print_config(&config);
        return 0;
    }
    if (fread(block, 1, sizeof block, stdin) != sizeof block) {
        fprintf(stderr, "expected %u bytes on stdin\n", (unsigned)sizeof block);
        return 2;
    }
    reason = nce_app_config_parse(block, &config);
    printf("reason=%d\n", reason);
    if (reason == 0) {
        print_config(&config);
    }
    return 0;
}
