/* nce_auth.c - the Device Authenticator exchange and DTLS credential helpers; see nce_auth.h. */
#include "nce_auth.h"

#include <string.h>

#define KEY_FIELD_SIZE 100u /* sizeof DtlsKey_t.Psk and .PskIdentity */

int nce_bootstrap_init(nce_bootstrap_t *b, uint16_t message_id, const uint8_t *token,
                       size_t token_length, int confirmable)
{
    size_t i;

    if (b == NULL || token_length > NCE_COAP_MAX_TOKEN || (token == NULL && token_length > 0u)) {
        return NCE_SDK_ARGUMENT_ERROR;
    }
    b->first_message_id = message_id;
    b->message_id = message_id;
    for (i = 0u; i < NCE_COAP_MAX_TOKEN; i++) {
        b->token[i] = (i < token_length) ? token[i] : 0u;
    }
    b->token_length = (uint8_t)token_length;
    b->confirmable = (uint8_t)(confirmable != 0);
    b->response_code = 0u;
    b->ack_needed = 0u;
    b->ack_message_id = 0u;
    return NCE_SDK_SUCCESS;
}

void nce_bootstrap_next_attempt(nce_bootstrap_t *b)
{
    if (b != NULL) {
        b->message_id = (uint16_t)(b->message_id + 1u);
    }
}

/* Uri-Host "coap.os.1nce.com" (delta 3, length 13 + 3) and Uri-Path "bootstrap" (delta 8). */
static const uint8_t bootstrap_options[] = {
    0x3D, 0x03, 'c', 'o', 'a', 'p', '.', 'o', 's', '.', '1', 'n', 'c', 'e', '.', 'c', 'o', 'm',
    0x89, 'b', 'o', 'o', 't', 's', 't', 'r', 'a', 'p',
};

int nce_bootstrap_request(const nce_bootstrap_t *b, uint8_t *buf, size_t cap)
{
    size_t length;
    unsigned type;

    if (b == NULL || buf == NULL) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    length = 4u + b->token_length + sizeof bootstrap_options;
    if (cap < length) {
        return NCE_COAP_ERR_NO_SPACE;
    }
    type = (b->confirmable != 0u) ? NCE_COAP_CON : NCE_COAP_NON;
    buf[0] = (uint8_t)((NCE_COAP_VERSION << 6) | (type << 4) | b->token_length);
    buf[1] = NCE_COAP_GET;
    buf[2] = (uint8_t)(b->message_id >> 8); /* network order */
    buf[3] = (uint8_t)(b->message_id & 0xFFu);
    memcpy(buf + 4, b->token, b->token_length);
    memcpy(buf + 4 + b->token_length, bootstrap_options, sizeof bootstrap_options);
    return (int)length;
}

/* What the exchange reads of a received datagram; the token and payload point into it. */
typedef struct response {
    uint8_t type;
    uint8_t code;
    uint16_t message_id;
    const uint8_t *token;
    size_t token_length;
    const uint8_t *payload; /* NULL when there is none */
    size_t payload_length;
} response_t;

#define BAD_OPTION_FIELD 0x10000ul /* above every valid option number and length */

/* An option delta or length (RFC 7252 3.1): the nibble itself, 13 + one extended byte, or 269 +
 * two extended bytes in network order, read at data[*pos]. BAD_OPTION_FIELD for the reserved
 * nibble 15 or a truncated extension. */
static unsigned long option_field(unsigned nibble, const uint8_t *data, size_t length, size_t *pos)
{
    size_t extra = nibble - 12u;
    unsigned long value;

    if (nibble < 13u) {
        return nibble;
    }
    if (nibble == 15u || length - *pos < extra) {
        return BAD_OPTION_FIELD;
    }
    value = data[*pos];
    if (nibble == 14u) { /* 269 = 13 + 256 */
        value = ((value << 8) | data[*pos + 1u]) + 256u;
    }
    *pos += extra;
    return 13u + value;
}

/*
 * The bootstrap's own CoAP response parser: header, token, options (validated like
 * nce_coap_parse() does and skipped: os_auth needs none of them), payload. Returns 0, or -1 for
 * a datagram nce_coap_parse() rejects. Kept apart from the full codec so an image calling only
 * os_auth() does not link option storage it never reads.
 */
static int parse_response(const uint8_t *data, size_t length, response_t *r)
{
    size_t pos;
    unsigned long number = 0u;

    if (data == NULL || length < 4u || (data[0] >> 6) != NCE_COAP_VERSION) {
        return -1;
    }
    r->type = (uint8_t)((data[0] >> 4) & 0x03u);
    r->code = data[1];
    r->message_id = (uint16_t)(((unsigned)data[2] << 8) | data[3]);
    r->token = data + 4;
    r->token_length = data[0] & 0x0Fu;
    r->payload = NULL;
    r->payload_length = 0u;
    pos = 4u + r->token_length;
    if (r->token_length > NCE_COAP_MAX_TOKEN || pos > length ||
        (r->code == NCE_COAP_EMPTY && length != 4u)) {
        return -1;
    }
    while (pos < length) {
        unsigned first = data[pos++];
        unsigned long size;
        if (first == 0xFFu) { /* the payload marker: must be followed by a payload */
            r->payload = data + pos;
            r->payload_length = length - pos;
            return (pos < length) ? 0 : -1;
        }
        number += option_field(first >> 4, data, length, &pos);
        size = option_field(first & 0x0Fu, data, length, &pos);
        if (number > 0xFFFFu || size > 0xFFFFu || size > length - pos) {
            return -1;
        }
        pos += size;
    }
    return 0;
}

/* ACK and RST carry the MID of one of our requests; CON and NON responses carry our token. */
static int belongs_to_exchange(const nce_bootstrap_t *b, const response_t *r)
{
    size_t i;

    if (r->type == NCE_COAP_ACK || r->type == NCE_COAP_RST) {
        uint16_t age = (uint16_t)(r->message_id - b->first_message_id);
        uint16_t span = (uint16_t)(b->message_id - b->first_message_id);
        if (age > span) {
            return 0;
        }
        if (r->code == NCE_COAP_EMPTY) {
            return 1;
        }
    }
    if (r->token_length != b->token_length) {
        return 0;
    }
    for (i = 0u; i < r->token_length; i++) {
        if (r->token[i] != b->token[i]) {
            return 0;
        }
    }
    return 1;
}

int nce_bootstrap_accept(nce_bootstrap_t *b, const uint8_t *datagram, size_t length,
                         DtlsKey_t *key, char *url, size_t url_size)
{
    response_t r;

    if (b == NULL || key == NULL) {
        return NCE_SDK_ARGUMENT_ERROR;
    }
    b->ack_needed = 0u;
    if (parse_response(datagram, length, &r) != 0 || !belongs_to_exchange(b, &r)) {
        return NCE_BOOTSTRAP_PENDING;
    }
    if (r.type == NCE_COAP_RST) {
        return NCE_SDK_SERVER_RESPONSE_ERROR;
    }
    if (NCE_COAP_CODE_CLASS(r.code) == 0u) {
        return NCE_BOOTSTRAP_PENDING; /* empty ACK (the response follows separately), request */
    }
    if (r.type == NCE_COAP_CON) {
        b->ack_needed = 1u;
        b->ack_message_id = r.message_id;
    }
    b->response_code = r.code;
    if (r.code != NCE_COAP_CONTENT) {
        return NCE_SDK_SERVER_RESPONSE_ERROR;
    }
    return nce_bootstrap_parse_payload(r.payload, r.payload_length, key, url, url_size);
}

static int is_printable(const uint8_t *text, size_t length)
{
    size_t i;

    for (i = 0u; i < length; i++) {
        if (text[i] < 0x20u || text[i] > 0x7Eu) {
            return 0;
        }
    }
    return 1;
}

static size_t find_comma(const uint8_t *text, size_t start, size_t length)
{
    size_t i;

    for (i = start; i < length; i++) {
        if (text[i] == ',') {
            return i;
        }
    }
    return length;
}

static void copy_text(char *dst, const uint8_t *src, size_t length)
{
    if (length > 0u) {
        memcpy(dst, src, length);
    }
    dst[length] = '\0';
}

int nce_bootstrap_parse_payload(const uint8_t *payload, size_t length, DtlsKey_t *key, char *url,
                                size_t url_size)
{
    size_t identity_end;
    size_t psk_end;
    size_t url_start;
    size_t url_length;

    if (key == NULL || (payload == NULL && length > 0u)) {
        return NCE_SDK_PARSING_ERROR;
    }
    while (length > 0u && (payload[length - 1u] == '\n' || payload[length - 1u] == '\r')) {
        length--;
    }
    identity_end = find_comma(payload, 0u, length);
    if (identity_end == length) {
        return NCE_SDK_PARSING_ERROR; /* no comma: no PSK */
    }
    psk_end = find_comma(payload, identity_end + 1u, length);
    url_start = (psk_end < length) ? psk_end + 1u : length;
    url_length = length - url_start;
    if (identity_end == 0u || identity_end >= KEY_FIELD_SIZE || psk_end == identity_end + 1u ||
        psk_end - identity_end - 1u >= KEY_FIELD_SIZE || !is_printable(payload, length) ||
        (url != NULL && url_length >= url_size)) {
        return NCE_SDK_PARSING_ERROR;
    }
    copy_text(key->PskIdentity, payload, identity_end);
    copy_text(key->Psk, payload + identity_end + 1u, psk_end - identity_end - 1u);
    if (url != NULL) {
        copy_text(url, payload + url_start, url_length);
    }
    return NCE_SDK_SUCCESS;
}

/* Length of a NUL-terminated string inside a fixed field, or the field size when unterminated. */
static size_t field_length(const char *field, size_t size)
{
    size_t n = 0u;

    while (n < size && field[n] != '\0') {
        n++;
    }
    return n;
}

int nce_dtls_psk_from_key(const DtlsKey_t *key, nce_dtls_psk_t *out)
{
    size_t identity_length;
    size_t key_length;

    if (key == NULL || out == NULL) {
        return NCE_SDK_ARGUMENT_ERROR;
    }
    identity_length = field_length(key->PskIdentity, sizeof key->PskIdentity);
    key_length = field_length(key->Psk, sizeof key->Psk);
    if (identity_length == 0u || identity_length == sizeof key->PskIdentity || key_length == 0u ||
        key_length == sizeof key->Psk) {
        return NCE_SDK_ARGUMENT_ERROR;
    }
    out->identity = key->PskIdentity;
    out->identity_length = identity_length;
    out->key = (const uint8_t *)key->Psk;
    out->key_length = key_length;
    return NCE_SDK_SUCCESS;
}

int nce_dtls_psk_hex(const DtlsKey_t *key, char *out, size_t out_size)
{
    static const char digits[] = "0123456789abcdef";
    nce_dtls_psk_t psk;
    size_t i;

    if (out == NULL || nce_dtls_psk_from_key(key, &psk) != NCE_SDK_SUCCESS ||
        out_size < 2u * psk.key_length + 1u) {
        return NCE_SDK_ARGUMENT_ERROR;
    }
    for (i = 0u; i < psk.key_length; i++) {
        out[2u * i] = digits[psk.key[i] >> 4];
        out[2u * i + 1u] = digits[psk.key[i] & 0x0Fu];
    }
    out[2u * psk.key_length] = '\0';
    return (int)(2u * psk.key_length);
}
