/*
 * test_sdk.c - host tests of the C SDK, built with -fsanitize=address,undefined by
 * tests/test_sdk_c.py. The BCL templates come from `hil bcl gen-c` (demo.h, full.h, types.h are
 * generated into the build directory by the test).
 *
 * A tiny harness: CHECK() counts failures, main() returns non-zero if any.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nce_auth.h"
#include "nce_bcl.h"
#include "nce_coap.h"
#include "nce_float.h"
#include "nce_iot_c_sdk.h"

#include "demo.h"
#include "full.h"
#include "switches.h"
#include "types.h"

static int failures;
static int checks;

#define CHECK(cond) check((cond) != 0, __FILE__, __LINE__, #cond)
#define CHECK_INT(got, want) check_int((long long)(got), (long long)(want), __LINE__, #got)
#define CHECK_HEX(buf, len, hex) check_hex((const uint8_t *)(buf), (long)(len), (hex), __LINE__)

static void check(int ok, const char *file, int line, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
    }
}

static void check_int(long long got, long long want, int line, const char *what)
{
    checks++;
    if (got != want) {
        failures++;
        fprintf(stderr, "test_sdk.c:%d: %s is %lld, expected %lld\n", line, what, got, want);
    }
}

/* Compares len bytes with a hex string (spaces ignored). */
static void check_hex(const uint8_t *buf, long len, const char *hex, int line)
{
    uint8_t want[512];
    long n = 0;
    unsigned value;

    while (*hex != '\0') {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        if (sscanf(hex, "%2x", &value) != 1) {
            break;
        }
        want[n++] = (uint8_t)value;
        hex += 2;
    }
    checks++;
    if (len != n || memcmp(buf, want, (size_t)n) != 0) {
        long i;
        failures++;
        fprintf(stderr, "test_sdk.c:%d: bytes differ (got %ld, expected %ld):\n  got ", line, len, n);
        for (i = 0; i < len && i < 64; i++) {
            fprintf(stderr, "%02x ", buf[i]);
        }
        fprintf(stderr, "\n");
    }
}

/* ---- CoAP ---------------------------------------------------------------------------------- */

static void test_coap_round_trip(void)
{
    uint8_t buf[600];
    uint8_t long_value[300];
    nce_coap_writer_t w;
    nce_coap_message_t m;
    nce_coap_option_t options[4];
    const uint8_t token[3] = { 1, 2, 3 };
    int n;

    memset(long_value, 'x', sizeof long_value);
    nce_coap_writer_init(&w, buf, sizeof buf, NCE_COAP_CON, NCE_COAP_POST, 0xBEEF, token, 3);
    nce_coap_writer_option(&w, 11, "a", 1);                 /* delta 11 */
    nce_coap_writer_option(&w, 11, long_value, 12);         /* delta 0, length 12 */
    nce_coap_writer_option(&w, 60, long_value, 13);         /* delta 49 (ext8), length 13 (ext8) */
    nce_coap_writer_option(&w, 2000, long_value, 300);      /* delta 1940 (ext16), length 300 */
    nce_coap_writer_payload(&w, "hi", 2);
    n = nce_coap_writer_finish(&w);
    m.options = options;
    m.option_capacity = 4;
    CHECK_INT(n, 4 + 3 + 2 + 13 + 16 + 305 + 3);
    CHECK_HEX(buf, 9, "43 02 be ef 01 02 03 b1 61");
    CHECK_INT(nce_coap_parse(buf, (size_t)n, &m), 0);
    CHECK_INT(m.type, NCE_COAP_CON);
    CHECK_INT(m.code, NCE_COAP_POST);
    CHECK_INT(m.message_id, 0xBEEF);
    CHECK_INT(m.token_length, 3);
    CHECK_INT(m.option_count, 4);
    CHECK_INT(m.options[2].number, 60);
    CHECK_INT(m.options[3].number, 2000);
    CHECK_INT(m.options[3].length, 300);
    CHECK_INT(m.payload_length, 2);
    CHECK(memcmp(m.payload, "hi", 2) == 0);
    CHECK(nce_coap_find_option(&m, 11, 1) == &m.options[1]);
    CHECK(nce_coap_find_option(&m, 11, 2) == NULL);
    m.option_capacity = 2; /* options beyond the storage are counted, not stored */
    CHECK_INT(nce_coap_parse(buf, (size_t)n, &m), 0);
    CHECK_INT(m.option_count, 4);
    CHECK(nce_coap_find_option(&m, 60, 0) == NULL);
    /* every truncation of a valid message is rejected, none crashes */
    {
        int cut;
        for (cut = 0; cut < n; cut++) {
            int rc = nce_coap_parse(buf, (size_t)cut, &m);
            CHECK(rc == NCE_COAP_ERR_TRUNCATED || rc == NCE_COAP_ERR_EMPTY_PAYLOAD || rc == 0);
        }
    }
}

static void test_coap_errors(void)
{
    nce_coap_message_t m = { 0 };
    nce_coap_writer_t w;
    uint8_t buf[8];
    static const uint8_t bad_version[] = { 0x80, 0x01, 0, 1 };
    static const uint8_t bad_tkl[] = { 0x49, 0x01, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    static const uint8_t nibble15[] = { 0x40, 0x01, 0, 1, 0xF1, 0 };
    static const uint8_t empty_payload[] = { 0x40, 0x01, 0, 1, 0xFF };
    static const uint8_t empty_with_token[] = { 0x41, 0x00, 0, 1, 7 };
    static const uint8_t overflow[] = { 0x40, 0x01, 0, 1, 0xE0, 0xFF, 0xFF, 0xE0, 0xFF, 0xFF };

    CHECK_INT(nce_coap_parse(bad_version, sizeof bad_version, &m), NCE_COAP_ERR_VERSION);
    CHECK_INT(nce_coap_parse(bad_tkl, sizeof bad_tkl, &m), NCE_COAP_ERR_TOKEN_LENGTH);
    CHECK_INT(nce_coap_parse(nibble15, sizeof nibble15, &m), NCE_COAP_ERR_OPTION);
    CHECK_INT(nce_coap_parse(empty_payload, sizeof empty_payload, &m), NCE_COAP_ERR_EMPTY_PAYLOAD);
    CHECK_INT(nce_coap_parse(empty_with_token, sizeof empty_with_token, &m), NCE_COAP_ERR_EMPTY_MESSAGE);
    CHECK_INT(nce_coap_parse(overflow, sizeof overflow, &m), NCE_COAP_ERR_OPTION);
    CHECK_INT(nce_coap_parse(NULL, 4, &m), NCE_COAP_ERR_ARGUMENT);

    nce_coap_writer_init(&w, buf, sizeof buf, NCE_COAP_NON, NCE_COAP_GET, 1, NULL, 0);
    nce_coap_writer_option(&w, 11, "abcdefgh", 8);
    CHECK_INT(nce_coap_writer_finish(&w), NCE_COAP_ERR_NO_SPACE);
    nce_coap_writer_init(&w, buf, sizeof buf, NCE_COAP_NON, NCE_COAP_GET, 1, NULL, 0);
    nce_coap_writer_option(&w, 11, "a", 1);
    nce_coap_writer_option(&w, 3, "a", 1);
    CHECK_INT(nce_coap_writer_finish(&w), NCE_COAP_ERR_OPTION_ORDER);
    CHECK_INT(nce_coap_empty(buf, sizeof buf, NCE_COAP_ACK, 0x1234), 4);
    CHECK_HEX(buf, 4, "60 00 12 34");
    CHECK_INT(nce_coap_check_topic("a/b_c9"), 0);
    CHECK_INT(nce_coap_check_topic("a//b"), NCE_COAP_ERR_TOPIC);
    CHECK_INT(nce_coap_check_topic("a-b"), NCE_COAP_ERR_TOPIC);
    CHECK_INT(nce_coap_check_topic(""), NCE_COAP_ERR_TOPIC);
}

static void test_coap_uplink(void)
{
    uint8_t buf[64];
    int n = nce_coap_build_uplink(buf, sizeof buf, NCE_COAP_NON, 7, NULL, 0, "test",
                                  (const uint8_t *)"\x01\x02", 2);

    CHECK_HEX(buf, n, "50 02 00 07 d6 02 74 3d 74 65 73 74 ff 01 02"); /* delta 15: extended form */
    n = nce_coap_build_uplink(buf, sizeof buf, NCE_COAP_CON, 7, NULL, 0, NULL, NULL, 0);
    CHECK_HEX(buf, n, "40 02 00 07");
}

/* ---- Device Authenticator over a scripted port ---------------------------------------------- */

struct OSNetwork {
    int connect_failures;   /* connects that fail before one succeeds */
    int connects;
    int disconnects;
    const uint8_t *replies[8]; /* what recv returns in turn; NULL = timeout */
    size_t reply_lengths[8];
    int reply_count;
    int next_reply;
    uint8_t sent[8][64];
    size_t sent_lengths[8];
    int sends;
    char host[100];
    int port;
};

static int script_connect(OSNetwork_t net, OSEndPoint_t endpoint)
{
    net->connects++;
    memcpy(net->host, endpoint.host, sizeof net->host);
    net->port = endpoint.port;
    return (net->connects <= net->connect_failures) ? -1 : 0;
}

static int script_send(OSNetwork_t net, void *buf, size_t len)
{
    if (net->sends < 8 && len <= sizeof net->sent[0]) {
        memcpy(net->sent[net->sends], buf, len);
        net->sent_lengths[net->sends] = len;
    }
    net->sends++;
    return (int)len;
}

static int script_recv(OSNetwork_t net, void *buf, size_t len)
{
    const uint8_t *reply;
    size_t n;

    if (net->next_reply >= net->reply_count) {
        return 0;
    }
    reply = net->replies[net->next_reply];
    n = net->reply_lengths[net->next_reply];
    net->next_reply++;
    if (reply == NULL) {
        return 0;
    }
    n = (n < len) ? n : len;
    memcpy(buf, reply, n);
    return (int)n;
}

static int script_disconnect(OSNetwork_t net)
{
    net->disconnects++;
    return 0;
}

static os_network_ops_t script_ops(struct OSNetwork *net)
{
    os_network_ops_t ops;

    memset(net, 0, sizeof *net);
    ops.os_socket = net;
    ops.nce_os_udp_connect = script_connect;
    ops.nce_os_udp_send = script_send;
    ops.nce_os_udp_recv = script_recv;
    ops.nce_os_udp_disconnect = script_disconnect;
    return ops;
}

/* A response to the default request: MID 1001 + attempt, token "nc". */
static int response(uint8_t *buf, size_t cap, uint8_t type, uint8_t code, uint16_t mid,
                    const char *payload)
{
    nce_coap_writer_t w;
    const uint8_t token[2] = { 0x6E, 0x63 };

    nce_coap_writer_init(&w, buf, cap, type, code, mid, token, 2);
    nce_coap_writer_payload(&w, payload, strlen(payload));
    return nce_coap_writer_finish(&w);
}

static void test_bootstrap_request(void)
{
    nce_bootstrap_t b;
    uint8_t buf[64];
    int n;

    CHECK_INT(nce_bootstrap_init(&b, 1001, NULL, 0, 0), NCE_SDK_SUCCESS);
    n = nce_bootstrap_request(&b, buf, sizeof buf);
    /* the public SDK's 32 bytes, but with the message ID in network order */
    CHECK_HEX(buf, n, "50 01 03 e9 3d 03 63 6f 61 70 2e 6f 73 2e 31 6e 63 65 2e 63 6f 6d 89 62 6f 6f"
                      " 74 73 74 72 61 70");
    nce_bootstrap_init(&b, 1024, NULL, 0, 0); /* 0x0400 truncated the public SDK's sprintf */
    CHECK_INT(nce_bootstrap_request(&b, buf, sizeof buf), 32);
    CHECK_HEX(buf, 4, "50 01 04 00");
}

static void test_os_auth_piggybacked(void)
{
    struct OSNetwork net;
    os_network_ops_t ops = script_ops(&net);
    DtlsKey_t key;
    uint8_t reply[128];
    int n = response(reply, sizeof reply, NCE_COAP_ACK, NCE_COAP_CONTENT, 1001,
                     "8988280666000002864,s3cret,coaps://coap.os.1nce.com:5684\r\n");
    nce_dtls_psk_t psk;
    char hex[32];

    net.replies[0] = reply;
    net.reply_lengths[0] = (size_t)n;
    net.reply_count = 1;
    memset(&key, 0, sizeof key);
    CHECK_INT(os_auth(&ops, &key), NCE_SDK_SUCCESS);
    CHECK(strcmp(key.PskIdentity, "8988280666000002864") == 0);
    CHECK(strcmp(key.Psk, "s3cret") == 0);
    CHECK(strcmp(net.host, "coap.os.1nce.com") == 0);
    CHECK_INT(net.port, 5683);
    CHECK_INT(net.sends, 1);
    CHECK_INT(net.disconnects, 1);
    CHECK_HEX(net.sent[0], 6, "42 01 03 e9 6e 63"); /* CON GET, MID 1001, token "nc" */
    CHECK_INT(nce_dtls_psk_from_key(&key, &psk), NCE_SDK_SUCCESS);
    CHECK_INT(psk.key_length, 6);
    CHECK(memcmp(psk.key, "s3cret", 6) == 0);
    CHECK_INT(nce_dtls_psk_hex(&key, hex, sizeof hex), 12);
    CHECK(strcmp(hex, "733363726574") == 0);
    CHECK_INT(nce_dtls_psk_hex(&key, hex, 12), NCE_SDK_ARGUMENT_ERROR);
}

static void test_os_auth_separate_response(void)
{
    struct OSNetwork net;
    os_network_ops_t ops = script_ops(&net);
    DtlsKey_t key;
    uint8_t empty_ack[4];
    uint8_t unrelated[64];
    uint8_t reply[128];
    char url[64];
    nce_auth_options_t opts;
    int n;

    nce_coap_empty(empty_ack, sizeof empty_ack, NCE_COAP_ACK, 1001);
    n = nce_coap_empty(unrelated, sizeof unrelated, NCE_COAP_ACK, 4242);
    net.replies[0] = unrelated;
    net.reply_lengths[0] = (size_t)n;
    net.replies[1] = empty_ack;
    net.reply_lengths[1] = 4;
    n = response(reply, sizeof reply, NCE_COAP_CON, NCE_COAP_CONTENT, 0x5151, "id1,psk1,coaps://x:5684");
    net.replies[2] = reply;
    net.reply_lengths[2] = (size_t)n;
    net.reply_count = 3;
    nce_auth_default_options(&opts);
    opts.endpoint_url = url;
    opts.endpoint_url_size = sizeof url;
    CHECK_INT(nce_auth(&ops, &key, &opts), NCE_SDK_SUCCESS);
    CHECK(strcmp(key.Psk, "psk1") == 0);
    CHECK(strcmp(url, "coaps://x:5684") == 0);
    CHECK_INT(net.sends, 2); /* the request, then the ACK of the separate response */
    CHECK_HEX(net.sent[1], (long)net.sent_lengths[1], "60 00 51 51");
}

static void test_os_auth_failures(void)
{
    struct OSNetwork net;
    os_network_ops_t ops;
    DtlsKey_t key;
    uint8_t reply[128];
    int n;

    /* every attempt times out: NCE_SDK_ATTEMPTS requests, each with the next MID */
    ops = script_ops(&net);
    memset(&key, 0x5A, sizeof key);
    CHECK_INT(os_auth(&ops, &key), NCE_SDK_RECEIVE_ERROR);
    CHECK_INT(net.sends, NCE_SDK_ATTEMPTS);
    CHECK_HEX(net.sent[4], 4, "42 01 03 ed");
    CHECK_INT((unsigned char)key.Psk[0], 0x5A); /* untouched */

    /* 4.01 Unauthorized: no retry */
    ops = script_ops(&net);
    n = response(reply, sizeof reply, NCE_COAP_ACK, NCE_COAP_CODE(4, 1), 1001, "{}");
    net.replies[0] = reply;
    net.reply_lengths[0] = (size_t)n;
    net.reply_count = 1;
    CHECK_INT(os_auth(&ops, &key), NCE_SDK_SERVER_RESPONSE_ERROR);
    CHECK_INT(net.sends, 1);

    /* 2.05 without a PSK */
    ops = script_ops(&net);
    n = response(reply, sizeof reply, NCE_COAP_ACK, NCE_COAP_CONTENT, 1001, "8988280666000002864");
    net.replies[0] = reply;
    net.reply_lengths[0] = (size_t)n;
    net.reply_count = 1;
    CHECK_INT(os_auth(&ops, &key), NCE_SDK_PARSING_ERROR);

    /* connect fails every time */
    ops = script_ops(&net);
    net.connect_failures = 100;
    CHECK_INT(os_auth(&ops, &key), NCE_SDK_CONNECT_ERROR);
    CHECK_INT(net.connects, NCE_SDK_ATTEMPTS);

    CHECK_INT(os_auth(NULL, &key), NCE_SDK_ARGUMENT_ERROR);
    ops = script_ops(&net);
    ops.nce_os_udp_recv = NULL;
    CHECK_INT(os_auth(&ops, &key), NCE_SDK_ARGUMENT_ERROR);
}

static void test_payload_parsing(void)
{
    DtlsKey_t key;
    char url[8];
    char psk100[130];

    memset(psk100, 'k', sizeof psk100);
    memcpy(psk100, "id,", 3);
    psk100[103] = '\0'; /* 100-character PSK: one too many for Psk[100] */
    CHECK_INT(nce_bootstrap_parse_payload((const uint8_t *)psk100, 103, &key, NULL, 0),
              NCE_SDK_PARSING_ERROR);
    CHECK_INT(nce_bootstrap_parse_payload((const uint8_t *)psk100, 102, &key, NULL, 0),
              NCE_SDK_SUCCESS);
    CHECK_INT(strlen(key.Psk), 99);
    CHECK_INT(nce_bootstrap_parse_payload((const uint8_t *)",psk", 4, &key, NULL, 0),
              NCE_SDK_PARSING_ERROR);
    CHECK_INT(nce_bootstrap_parse_payload((const uint8_t *)"id,", 3, &key, NULL, 0),
              NCE_SDK_PARSING_ERROR);
    CHECK_INT(nce_bootstrap_parse_payload((const uint8_t *)"id,p\x01", 5, &key, NULL, 0),
              NCE_SDK_PARSING_ERROR);
    CHECK_INT(nce_bootstrap_parse_payload((const uint8_t *)"id,psk,coaps://too-long", 23, &key,
                                          url, sizeof url),
              NCE_SDK_PARSING_ERROR);
    CHECK_INT(nce_bootstrap_parse_payload((const uint8_t *)"id,psk,u,v", 10, &key, url, sizeof url),
              NCE_SDK_SUCCESS);
    CHECK(strcmp(url, "u,v") == 0);
}

/* ---- Energy Saver ------------------------------------------------------------------------- */

static void test_energy_save_demo(void)
{
    /* the blueprint call: selector 1, battery 99, signal 84, "2.2.1" (reference §3.3 example 7) */
    Element2byte_gen_t battery = { .type = E_INTEGER, .value.i = 99, .template_length = 1 };
    Element2byte_gen_t signal = { .type = E_INTEGER, .value.i = 84, .template_length = 1 };
    Element2byte_gen_t version = { .type = E_STRING, .value.s = "2.2.1", .template_length = 5 };
    char packet[16];
    int n = os_energy_save(packet, 1, 3, battery, signal, version);

    CHECK_HEX(packet, n, "01 63 54 32 2e 32 2e 31");
}

static void test_energy_save_types(void)
{
    Element2byte_gen_t i2 = { .type = E_INTEGER, .value.i = 1000, .template_length = 2 };
    Element2byte_gen_t i4 = { .type = E_INTEGER, .value.i = -2, .template_length = 4 };
    Element2byte_gen_t i8 = { .type = E_INTEGER, .value.i = -3, .template_length = 8 };
    Element2byte_gen_t f4 = { .type = E_FLOAT, .value.f = 1.5f, .template_length = 4 };
    Element2byte_gen_t f8 = { .type = E_FLOAT, .value.f = -2.0f, .template_length = 8 };
    Element2byte_gen_t c = { .type = E_CHAR, .value.c = 'A', .template_length = 1 };
    Element2byte_gen_t s = { .type = E_STRING, .value.s = "ab", .template_length = 4 };
    Element2byte_gen_t all[7];
    uint8_t out[64];
    char packet[64];
    int n;

    all[0] = i2, all[1] = i4, all[2] = i8, all[3] = f4, all[4] = f8, all[5] = c, all[6] = s;
    n = nce_energy_save(out, sizeof out, NCE_SDK_LITTLE_ENDIAN, 200, all, 7);
    CHECK_HEX(out, n, "c8 e803 feffffff fdffffffffffffff 0000c03f 00000000000000c0 41 61620000");
    n = nce_energy_save(out, sizeof out, NCE_SDK_BIG_ENDIAN, -1, all, 7);
    CHECK_HEX(out, n, "ff 03e8 fffffffe fffffffffffffffd 3fc00000 c000000000000000 41 61620000");
    n = os_energy_save(packet, 2, 2, i2, s);
    CHECK_HEX(packet, n, "02 e803 61620000");
    CHECK_INT(nce_energy_save(out, 5, NCE_SDK_LITTLE_ENDIAN, 1, all, 2), NCE_SDK_BINARY_PAYLOAD_ERROR);
}

static void test_energy_save_errors(void)
{
    /* the public SDK passes only one-byte values; ours checks against the field's width */
    Element2byte_gen_t big1 = { .type = E_INTEGER, .value.i = 256, .template_length = 1 };
    Element2byte_gen_t ok1 = { .type = E_INTEGER, .value.i = 255, .template_length = 1 };
    Element2byte_gen_t neg1 = { .type = E_INTEGER, .value.i = -129, .template_length = 1 };
    Element2byte_gen_t big2 = { .type = E_INTEGER, .value.i = 65536, .template_length = 2 };
    Element2byte_gen_t len3 = { .type = E_INTEGER, .value.i = 1, .template_length = 3 };
    Element2byte_gen_t f2 = { .type = E_FLOAT, .value.f = 1.0f, .template_length = 2 };
    Element2byte_gen_t s_long = { .type = E_STRING, .value.s = "abcdef", .template_length = 5 };
    Element2byte_gen_t bad_type = { .type = (E_Type)9, .value.i = 1, .template_length = 1 };
    char packet[64];

    CHECK_INT(os_energy_save(packet, 1, 1, ok1), 2);
    CHECK_INT(os_energy_save(packet, 1, 1, big1), NCE_SDK_BINARY_PAYLOAD_ERROR);
    CHECK_INT(os_energy_save(packet, 1, 1, neg1), NCE_SDK_BINARY_PAYLOAD_ERROR);
    CHECK_INT(os_energy_save(packet, 1, 1, big2), NCE_SDK_BINARY_PAYLOAD_ERROR);
    CHECK_INT(os_energy_save(packet, 1, 1, len3), NCE_SDK_BINARY_PAYLOAD_ERROR);
    CHECK_INT(os_energy_save(packet, 1, 1, f2), NCE_SDK_BINARY_PAYLOAD_ERROR);
    CHECK_INT(os_energy_save(packet, 1, 1, s_long), NCE_SDK_BINARY_PAYLOAD_ERROR);
    CHECK_INT(os_energy_save(packet, 1, 1, bad_type), NCE_SDK_BINARY_PAYLOAD_ERROR);
    CHECK_INT(os_energy_save(packet, 256, 0), NCE_SDK_BINARY_PAYLOAD_ERROR);
    CHECK_INT(os_energy_save(NULL, 1, 0), NCE_SDK_BINARY_PAYLOAD_ERROR);
}

/* ---- float conversions on bit patterns, against the host FPU ------------------------------ */

static uint64_t random_state = 88172645463325252ull;

static uint64_t next_random(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

static void test_float_conversions(void)
{
    uint32_t n;

    for (n = 0u; n < 300000u; n++) {
        uint32_t b = (uint32_t)next_random();
        float f;
        double d;
        uint64_t want;
        memcpy(&f, &b, sizeof f);
        if (isnan(f)) {
            continue;
        }
        d = (double)f;
        memcpy(&want, &d, sizeof want);
        if (nce_f32_to_f64(b) != want) {
            CHECK_INT(nce_f32_to_f64(b), want);
        }
    }
}

/* ---- BCL template encoder ----------------------------------------------------------------- */

static void test_bcl_demo(void)
{
    nce_bcl_value_t v[DEMO_VALUE_COUNT];
    uint8_t out[16];
    int n;

    v[DEMO_SWITCH_0] = NCE_BCL_I(1);
    v[DEMO_BATTERY_LEVEL] = NCE_BCL_U(99);
    v[DEMO_SIGNAL_STRENGTH] = NCE_BCL_U(84);
    v[DEMO_SOFTWARE_VERSION] = NCE_BCL_S("2.2.1");
    n = nce_bcl_encode(&demo_template, v, DEMO_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n, "01 63 54 32 2e 32 2e 31");
    v[DEMO_SOFTWARE_VERSION] = NCE_BCL_S("2.2");
    n = nce_bcl_encode(&demo_template, v, DEMO_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n, "01 63 54 32 2e 32 00 00");
    v[DEMO_SWITCH_0] = NCE_BCL_I(7); /* no case: only the selector */
    n = nce_bcl_encode(&demo_template, v, DEMO_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n, "07");
    v[DEMO_SWITCH_0] = NCE_BCL_I(1);
    CHECK_INT(nce_bcl_encode(&demo_template, v, DEMO_VALUE_COUNT, out, 7), NCE_BCL_ERR_CAPACITY);
    v[DEMO_BATTERY_LEVEL] = NCE_BCL_U(256);
    CHECK_INT(nce_bcl_encode(&demo_template, v, DEMO_VALUE_COUNT, out, sizeof out), NCE_BCL_ERR_RANGE);
    v[DEMO_BATTERY_LEVEL] = NCE_BCL_U(1);
    v[DEMO_SOFTWARE_VERSION] = NCE_BCL_S("2.2.10");
    CHECK_INT(nce_bcl_encode(&demo_template, v, DEMO_VALUE_COUNT, out, sizeof out), NCE_BCL_ERR_LENGTH);
    v[DEMO_SOFTWARE_VERSION] = NCE_BCL_B("2\0", 2);
    CHECK_INT(nce_bcl_encode(&demo_template, v, DEMO_VALUE_COUNT, out, sizeof out), NCE_BCL_ERR_VALUE);
    CHECK_INT(nce_bcl_encode(&demo_template, v, DEMO_VALUE_COUNT - 1, out, sizeof out),
              NCE_BCL_ERR_ARGUMENT);
}

/* The BCL documentation's full example: message_code and a switch on byte 0, a hex range. */
static void test_bcl_full_example(void)
{
    static const uint8_t maintenance[10] = { 0x01, 0x01, 0x00, 0x00, 0x05, 0x8c, 0x6f, 0x6c, 0x65, 0x67 };
    nce_bcl_value_t v[FULL_VALUE_COUNT];
    uint8_t out[32];
    size_t failed = 999;
    int n;

    memset(v, 0, sizeof v);
    v[FULL_MESSAGE_CODE] = NCE_BCL_U(1);
    v[FULL_SWITCH_0] = NCE_BCL_I(1);
    v[FULL_ON] = NCE_BCL_I(1);
    v[FULL_FUEL] = NCE_BCL_U(1420);
    v[FULL_DRIVER] = NCE_BCL_S("oleg");
    v[FULL_DRIVER_HEX] = NCE_BCL_B("oleg", 4);
    v[FULL_FULL_PAYLOAD] = NCE_BCL_B(maintenance, 10);
    n = nce_bcl_encode(&full_template, v, FULL_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n, "01 01 00 00 05 8c 6f 6c 65 67");
    v[FULL_MESSAGE_CODE] = NCE_BCL_U(2); /* disagrees with the selector on byte 0 */
    n = nce_bcl_encode_at(&full_template, v, FULL_VALUE_COUNT, out, sizeof out, &failed);
    CHECK_INT(n, NCE_BCL_ERR_CONFLICT);
    CHECK_INT(failed, 0);
    v[FULL_MESSAGE_CODE] = NCE_BCL_U(1);
    v[FULL_FULL_PAYLOAD] = NCE_BCL_B(maintenance, 9); /* fixes the length to 9 < 10 */
    CHECK_INT(nce_bcl_encode(&full_template, v, FULL_VALUE_COUNT, out, sizeof out), NCE_BCL_ERR_LAYOUT);
}

static void test_bcl_types(void)
{
    static const uint8_t raw[3] = { 0xde, 0xad, 0x01 };
    nce_bcl_value_t v[TYPES_VALUE_COUNT];
    uint8_t out[64];
    int n;

    v[TYPES_I8] = NCE_BCL_I(-1);
    v[TYPES_U16LE] = NCE_BCL_U(0x1234);
    v[TYPES_I32] = NCE_BCL_I(-2);
    v[TYPES_U64] = NCE_BCL_U(UINT64_MAX);
    v[TYPES_F32LE] = NCE_BCL_F32(1.5f);
    v[TYPES_F64] = NCE_BCL_F(-2.0);
    v[TYPES_FLAG] = NCE_BCL_I(1);
    v[TYPES_NAME] = NCE_BCL_S("ab");
    v[TYPES_BLOB] = NCE_BCL_B(raw, 3);
    v[TYPES_LAST] = NCE_BCL_U(0xCAFE);
    n = nce_bcl_encode(&types_template, v, TYPES_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n,
              "ff 3412 fffffffe ffffffffffffffff 0000c03f c000000000000000 01 61620000 dead01 cafe");
    v[TYPES_I8] = NCE_BCL_I(128);
    CHECK_INT(nce_bcl_encode(&types_template, v, TYPES_VALUE_COUNT, out, sizeof out), NCE_BCL_ERR_RANGE);
    v[TYPES_I8] = NCE_BCL_I(-128);
    v[TYPES_BLOB] = NCE_BCL_B(raw, 2);
    CHECK_INT(nce_bcl_encode(&types_template, v, TYPES_VALUE_COUNT, out, sizeof out), NCE_BCL_ERR_LENGTH);
}

/* String and hex selectors shorter than their field compare by length and bytes. */
static void test_bcl_text_switches(void)
{
    nce_bcl_value_t v[SWITCHES_VALUE_COUNT];
    uint8_t out[16];
    int n;

    memset(v, 0, sizeof v);
    v[SWITCHES_SWITCH_0] = NCE_BCL_S("T");
    v[SWITCHES_T] = NCE_BCL_U(7);
    n = nce_bcl_encode(&switches_template, v, SWITCHES_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n, "54 00 00 07");
    v[SWITCHES_SWITCH_0] = NCE_BCL_S("HUM");
    v[SWITCHES_H] = NCE_BCL_U(0x1234);
    n = nce_bcl_encode(&switches_template, v, SWITCHES_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n, "48 55 4d 12 34");
    v[SWITCHES_SWITCH_0] = NCE_BCL_S(""); /* default case, then the hex switch */
    v[SWITCHES_SWITCH_1] = NCE_BCL_B("\xbe\xef", 2);
    n = nce_bcl_encode(&switches_template, v, SWITCHES_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n, "00 00 00 be ef");
    v[SWITCHES_SWITCH_0] = NCE_BCL_S("TT"); /* matches no case: default */
    n = nce_bcl_encode(&switches_template, v, SWITCHES_VALUE_COUNT, out, sizeof out);
    CHECK_HEX(out, n, "54 54 00 be ef");
}

/* Hand-made malformed tables: the encoder must refuse them, not loop or read out of bounds. */
static void test_bcl_malformed_tables(void)
{
    static const nce_bcl_stmt_t loop[2] = {
        { NCE_BCL_OP_SWITCH, NCE_BCL_INT, NCE_BCL_F_BYTE, 0u, 0u, 0u, 0, 1u, 0u, 2u },
        { NCE_BCL_OP_DEFAULT, 0u, 0u, 0u, 0u, 0u, 0, 0u, 1u, 2u }, /* next points at itself */
    };
    static const nce_bcl_stmt_t bad_slot[1] = {
        { NCE_BCL_OP_FIELD, NCE_BCL_INT, NCE_BCL_F_BYTE, 0u, 5u, 0u, 0, 1u, 0u, 0u },
    };
    static const nce_bcl_stmt_t bad_op[1] = {
        { 9u, NCE_BCL_INT, NCE_BCL_F_BYTE, 0u, 0u, 0u, 0, 1u, 0u, 0u },
    };
    static const nce_bcl_stmt_t bad_length[1] = {
        { NCE_BCL_OP_FIELD, NCE_BCL_INT, NCE_BCL_F_BYTE, 0u, 0u, 0u, 0, 3u, 0u, 0u },
    };
    const nce_bcl_template_t t1 = { loop, NULL, 2u, 0u, 1u, 0u };
    const nce_bcl_template_t t2 = { bad_slot, NULL, 1u, 0u, 1u, 0u };
    const nce_bcl_template_t t3 = { bad_op, NULL, 1u, 0u, 1u, 0u };
    const nce_bcl_template_t t4 = { bad_length, NULL, 1u, 0u, 1u, 0u };
    nce_bcl_value_t v[1];
    uint8_t out[16];

    v[0] = NCE_BCL_I(0);
    CHECK_INT(nce_bcl_encode(&t1, v, 1, out, sizeof out), NCE_BCL_ERR_TEMPLATE);
    CHECK_INT(nce_bcl_encode(&t2, v, 1, out, sizeof out), NCE_BCL_ERR_TEMPLATE);
    CHECK_INT(nce_bcl_encode(&t3, v, 1, out, sizeof out), NCE_BCL_ERR_TEMPLATE);
    CHECK_INT(nce_bcl_encode(&t4, v, 1, out, sizeof out), NCE_BCL_ERR_TEMPLATE);
    CHECK_INT(nce_bcl_encode(NULL, v, 1, out, sizeof out), NCE_BCL_ERR_ARGUMENT);
}

/* A float selector: +0 and -0 pick the same case, other values go by their bits. Two switches
 * (float32 at byte 0, float64 at byte 4), each with the single case -0 writing byte 12 or 13. */
static void test_bcl_float_zero_cases(void)
{
    static const nce_bcl_stmt_t stmts[6] = {
        { NCE_BCL_OP_SWITCH, NCE_BCL_FLOAT, NCE_BCL_F_BYTE, 0u, 0u, 0u, 0, 4u, 0u, 3u },
        { NCE_BCL_OP_CASE, 0u, 0u, 0u, 0u, 0u, 0, 0u, 3u, 3u },
        { NCE_BCL_OP_FIELD, NCE_BCL_UINT, NCE_BCL_F_BYTE, 0u, 2u, 12u, 0, 1u, 0u, 0u },
        { NCE_BCL_OP_SWITCH, NCE_BCL_FLOAT, NCE_BCL_F_BYTE, 0u, 1u, 4u, 0, 8u, 0u, 6u },
        { NCE_BCL_OP_CASE, 0u, 0u, 0u, 1u, 0u, 0, 0u, 6u, 6u },
        { NCE_BCL_OP_FIELD, NCE_BCL_UINT, NCE_BCL_F_BYTE, 0u, 2u, 13u, 0, 1u, 0u, 0u },
    };
    static const nce_bcl_value_t cases[2] = { { .as = { .f32 = -0.0f } }, { .as = { .f = -0.0 } } };
    const nce_bcl_template_t t = { stmts, cases, 6u, 2u, 3u, 0u };
    nce_bcl_value_t v[3];
    uint8_t out[16];

    v[0] = NCE_BCL_F32(0.0f);
    v[1] = NCE_BCL_F(0.0);
    v[2] = NCE_BCL_U(7);
    CHECK_INT(nce_bcl_encode(&t, v, 3, out, sizeof out), 14);
    CHECK_HEX(out, 14, "00000000 0000000000000000 0707"); /* +0 picked both cases -0 */
    v[0] = NCE_BCL_F32(-0.0f);
    v[1] = NCE_BCL_F(-0.0);
    CHECK_INT(nce_bcl_encode(&t, v, 3, out, sizeof out), 14);
    CHECK_HEX(out, 14, "80000000 8000000000000000 0707");
    v[0] = NCE_BCL_F32(1.0f);
    v[1] = NCE_BCL_F(-1.0);
    CHECK_INT(nce_bcl_encode(&t, v, 3, out, sizeof out), 12); /* no case: only the selectors */
    CHECK_HEX(out, 12, "3f800000 bff0000000000000");
}

int main(void)
{
    test_coap_round_trip();
    test_coap_errors();
    test_coap_uplink();
    test_bootstrap_request();
    test_os_auth_piggybacked();
    test_os_auth_separate_response();
    test_os_auth_failures();
    test_payload_parsing();
    test_energy_save_demo();
    test_energy_save_types();
    test_energy_save_errors();
    test_float_conversions();
    test_bcl_demo();
    test_bcl_full_example();
    test_bcl_types();
    test_bcl_text_switches();
    test_bcl_malformed_tables();
    test_bcl_float_zero_cases();
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
