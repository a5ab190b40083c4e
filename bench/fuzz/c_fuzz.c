/*
 * c_fuzz.c - random-mutation fuzzing of the C SDK under ASan+UBSan (no clang/libFuzzer needed).
 * Built and run by bench/fuzz/run_c_fuzz.py. Mutates seed datagrams for nce_coap_parse and
 * nce_bootstrap_accept, random payloads for nce_bootstrap_parse_payload, and random (mostly
 * malformed) statement tables and values for nce_bcl_encode. Any sanitizer report aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nce_auth.h"
#include "nce_bcl.h"
#include "nce_coap.h"

static uint64_t state = 0x9E3779B97F4A7C15ull;

static uint32_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)(state >> 11);
}

static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
    unsigned edits = 1u + next() % 8u;

    while (edits-- > 0u) {
        unsigned kind = next() % 4u;
        if (kind == 0u && len > 0u) {
            buf[next() % len] = (uint8_t)next();
        } else if (kind == 1u && len < cap) {
            size_t at = next() % (len + 1u);
            memmove(buf + at + 1, buf + at, len - at);
            buf[at] = (uint8_t)next();
            len++;
        } else if (kind == 2u && len > 0u) {
            size_t at = next() % len;
            memmove(buf + at, buf + at + 1, len - at - 1u);
            len--;
        } else if (len > 0u) {
            len = next() % len; /* truncate */
        }
    }
    return len;
}

static void fuzz_coap(const uint8_t *seed, size_t seed_len)
{
    uint8_t buf[256];
    size_t len;
    nce_coap_option_t options[4];
    nce_coap_message_t msg;
    nce_bootstrap_t b;
    DtlsKey_t key;
    char url[32];

    memcpy(buf, seed, seed_len);
    len = mutate(buf, seed_len, sizeof buf);
    msg.options = options;
    msg.option_capacity = next() % 5u;
    (void)nce_coap_parse(buf, len, &msg);
    (void)nce_bootstrap_init(&b, 1001, (const uint8_t *)"nc", 2, 1);
    (void)nce_bootstrap_accept(&b, buf, len, &key, url, 1u + next() % sizeof url);
    (void)nce_bootstrap_parse_payload(buf, len, &key, (next() & 1u) ? url : NULL, sizeof url);
}

static void fuzz_bcl(void)
{
    nce_bcl_stmt_t stmts[8];
    nce_bcl_value_t cases[3];
    nce_bcl_value_t values[4];
    uint8_t bytes[4][12];
    uint8_t out[96];
    nce_bcl_template_t t;
    size_t i;
    size_t failed;

    /* Slots 0 and 1 hold bytes (string/hex fields may only use those: a string slot must point at
     * bytes, that is the caller's contract); slots 2 and 3 hold random numbers. Number fields on
     * slots 0 and 1 read the pointer bits as numbers, which is fine. */
    for (i = 0u; i < 8u; i++) {
        stmts[i].op = (uint8_t)(next() % 5u);
        stmts[i].type = (uint8_t)(next() % 7u);
        stmts[i].flags = (uint8_t)(next() % 8u);
        stmts[i].reserved = 0u;
        stmts[i].slot = (uint16_t)(next() % 5u);
        if (stmts[i].type == NCE_BCL_STRING || stmts[i].type == NCE_BCL_HEX) {
            stmts[i].slot = (uint16_t)(next() % 2u);
        }
        stmts[i].byte = (uint16_t)(next() % 40u);
        stmts[i].endbyte = (int16_t)(-(int)(next() % 12u) + ((next() % 16u) == 0u ? 3 : 0));
        stmts[i].length = (uint16_t)(next() % 10u);
        stmts[i].next = (uint16_t)(next() % 10u);
        stmts[i].end = (uint16_t)(next() % 10u);
    }
    for (i = 0u; i < 4u; i++) {
        size_t n = next() % 12u;
        size_t k;
        for (k = 0u; k < n; k++) {
            bytes[i][k] = (uint8_t)((next() % 4u == 0u) ? 0u : next());
        }
        if (i < 2u) {
            values[i].as.b.data = (next() % 8u == 0u) ? NULL : bytes[i];
            values[i].as.b.length = n;
        } else {
            values[i].as.u = (next() & 1u) ? next() % 300u : ((uint64_t)next() << 32) | next();
        }
    }
    for (i = 0u; i < 3u; i++) { /* case constants point at bytes too (string switches read them) */
        cases[i].as.b.data = bytes[next() % 4u];
        cases[i].as.b.length = next() % 12u;
    }
    t.stmts = stmts;
    t.cases = cases;
    t.stmt_count = (uint16_t)(next() % 9u);
    t.case_count = (uint16_t)(next() % 4u);
    t.value_count = (uint16_t)(next() % 5u);
    t.flags = (uint8_t)(next() % 2u);
    (void)nce_bcl_encode_at(&t, values, 4u, out, next() % sizeof out, &failed);
}

int main(int argc, char **argv)
{
    unsigned long iterations = (argc > 1) ? strtoul(argv[1], NULL, 10) : 1000000ul;
    uint8_t seeds[3][96];
    size_t seed_lengths[3];
    nce_coap_writer_t w;
    nce_bootstrap_t b;
    unsigned long i;

    nce_coap_writer_init(&w, seeds[0], sizeof seeds[0], NCE_COAP_ACK, NCE_COAP_CONTENT, 1001,
                         (const uint8_t *)"nc", 2);
    nce_coap_writer_option(&w, 12, "", 0);
    nce_coap_writer_payload(&w, "8988280666000002864,psk,coaps://x:5684", 38);
    seed_lengths[0] = (size_t)nce_coap_writer_finish(&w);
    nce_bootstrap_init(&b, 1001, (const uint8_t *)"nc", 2, 1);
    seed_lengths[1] = (size_t)nce_bootstrap_request(&b, seeds[1], sizeof seeds[1]);
    seed_lengths[2] = (size_t)nce_coap_build_uplink(seeds[2], sizeof seeds[2], NCE_COAP_CON, 7,
                                                    (const uint8_t *)"t", 1, "a/b", (const uint8_t *)"\x01", 1);
    for (i = 0ul; i < iterations; i++) {
        unsigned which = (unsigned)(i % 3ul);
        fuzz_coap(seeds[which], seed_lengths[which]);
        fuzz_bcl();
    }
    printf("%lu iterations of CoAP/bootstrap and BCL-table fuzzing, no sanitizer report\n", iterations);
    return 0;
}
