/* nce_coap.c - CoAP (RFC 7252) message codec; see nce_coap.h. */
#include "nce_coap.h"

#include <string.h>

#define PAYLOAD_MARKER 0xFFu
#define EXT8_BASE 13u
#define EXT16_BASE 269u
#define MAX_OPTION_LENGTH (0xFFFFu + EXT16_BASE)
#define MAX_TOPIC_LENGTH 253u

/* ---- parsing -------------------------------------------------------------------------------- */

/* Decodes an option delta or length nibble and its extended bytes at data[*pos]. */
static int read_extended(uint8_t nibble, const uint8_t *data, size_t length, size_t *pos,
                         uint32_t *value)
{
    if (nibble < EXT8_BASE) {
        *value = nibble;
    } else if (nibble == EXT8_BASE) {
        if (length - *pos < 1u) {
            return NCE_COAP_ERR_TRUNCATED;
        }
        *value = EXT8_BASE + data[*pos];
        *pos += 1u;
    } else if (nibble == 14u) {
        if (length - *pos < 2u) {
            return NCE_COAP_ERR_TRUNCATED;
        }
        *value = EXT16_BASE + (((uint32_t)data[*pos] << 8) | data[*pos + 1u]);
        *pos += 2u;
    } else {
        return NCE_COAP_ERR_OPTION; /* 15 is reserved (only valid as the payload marker) */
    }
    return 0;
}

static int parse_header(const uint8_t *data, size_t length, nce_coap_message_t *msg)
{
    uint8_t token_length;

    if (length < 4u) {
        return NCE_COAP_ERR_TRUNCATED;
    }
    if ((data[0] >> 6) != NCE_COAP_VERSION) {
        return NCE_COAP_ERR_VERSION;
    }
    token_length = (uint8_t)(data[0] & 0x0Fu);
    if (token_length > NCE_COAP_MAX_TOKEN) {
        return NCE_COAP_ERR_TOKEN_LENGTH;
    }
    if (length - 4u < token_length) {
        return NCE_COAP_ERR_TRUNCATED;
    }
    msg->type = (uint8_t)((data[0] >> 4) & 0x03u);
    msg->code = data[1];
    msg->message_id = (uint16_t)(((unsigned)data[2] << 8) | data[3]);
    msg->token_length = token_length;
    memset(msg->token, 0, sizeof msg->token);
    if (token_length > 0u) {
        memcpy(msg->token, data + 4, token_length);
    }
    if (msg->code == NCE_COAP_EMPTY && length != 4u) {
        return NCE_COAP_ERR_EMPTY_MESSAGE;
    }
    return 0;
}

/* Parses one option starting at data[*pos] (not the payload marker). */
static int parse_option(const uint8_t *data, size_t length, size_t *pos, uint32_t *number,
                        nce_coap_message_t *msg)
{
    uint8_t first = data[*pos];
    uint32_t delta;
    uint32_t option_length;
    int rc;

    *pos += 1u;
    rc = read_extended((uint8_t)(first >> 4), data, length, pos, &delta);
    if (rc == 0) {
        rc = read_extended((uint8_t)(first & 0x0Fu), data, length, pos, &option_length);
    }
    if (rc != 0) {
        return rc;
    }
    *number += delta;
    if (*number > 0xFFFFu || option_length > 0xFFFFu) {
        return NCE_COAP_ERR_OPTION;
    }
    if (length - *pos < option_length) {
        return NCE_COAP_ERR_TRUNCATED;
    }
    if (msg->option_count < msg->option_capacity) {
        msg->options[msg->option_count].number = (uint16_t)*number;
        msg->options[msg->option_count].length = (uint16_t)option_length;
        msg->options[msg->option_count].value = data + *pos;
    }
    msg->option_count += 1u;
    *pos += option_length;
    return 0;
}

int nce_coap_parse(const uint8_t *data, size_t length, nce_coap_message_t *msg)
{
    size_t pos;
    uint32_t number = 0u;
    int rc;

    if (msg == NULL || (data == NULL && length > 0u) ||
        (msg->options == NULL && msg->option_capacity > 0u)) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    msg->option_count = 0u;
    msg->payload = NULL;
    msg->payload_length = 0u;
    rc = parse_header(data, length, msg);
    if (rc != 0) {
        return rc;
    }
    pos = 4u + msg->token_length;
    while (pos < length) {
        if (data[pos] == PAYLOAD_MARKER) {
            pos += 1u;
            if (pos == length) {
                return NCE_COAP_ERR_EMPTY_PAYLOAD;
            }
            msg->payload = data + pos;
            msg->payload_length = length - pos;
            break;
        }
        rc = parse_option(data, length, &pos, &number, msg);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

const nce_coap_option_t *nce_coap_find_option(const nce_coap_message_t *msg, uint16_t number,
                                              size_t index)
{
    size_t i;

    if (msg == NULL) {
        return NULL;
    }
    for (i = 0u; i < msg->option_count && i < msg->option_capacity; i++) {
        if (msg->options[i].number == number) {
            if (index == 0u) {
                return &msg->options[i];
            }
            index--;
        }
    }
    return NULL;
}

/* ---- building ------------------------------------------------------------------------------- */

static void put_bytes(nce_coap_writer_t *w, const void *src, size_t n)
{
    if (w->error != 0 || n == 0u) {
        return;
    }
    if (w->capacity - w->length < n) {
        w->error = NCE_COAP_ERR_NO_SPACE;
        return;
    }
    memcpy(w->buffer + w->length, src, n);
    w->length += n;
}

static void put_byte(nce_coap_writer_t *w, uint8_t b)
{
    put_bytes(w, &b, 1u);
}

/* The nibble for a delta or length, and its extended bytes (0, 1 or 2) in ext. */
static uint8_t extended_form(uint32_t value, uint8_t ext[2], size_t *ext_length)
{
    if (value < EXT8_BASE) {
        *ext_length = 0u;
        return (uint8_t)value;
    }
    if (value < EXT16_BASE) {
        ext[0] = (uint8_t)(value - EXT8_BASE);
        *ext_length = 1u;
        return (uint8_t)EXT8_BASE;
    }
    ext[0] = (uint8_t)((value - EXT16_BASE) >> 8);
    ext[1] = (uint8_t)((value - EXT16_BASE) & 0xFFu);
    *ext_length = 2u;
    return 14u;
}

int nce_coap_writer_init(nce_coap_writer_t *w, uint8_t *buffer, size_t capacity, uint8_t type,
                         uint8_t code, uint16_t message_id, const uint8_t *token,
                         size_t token_length)
{
    if (w == NULL) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    w->buffer = buffer;
    w->capacity = (buffer == NULL) ? 0u : capacity;
    w->length = 0u;
    w->last_option = 0u;
    w->has_payload = 0u;
    w->error = 0;
    if (type > NCE_COAP_RST || token_length > NCE_COAP_MAX_TOKEN ||
        (token == NULL && token_length > 0u)) {
        w->error = NCE_COAP_ERR_ARGUMENT;
        return w->error;
    }
    put_byte(w, (uint8_t)((NCE_COAP_VERSION << 6) | ((unsigned)type << 4) | token_length));
    put_byte(w, code);
    put_byte(w, (uint8_t)(message_id >> 8));
    put_byte(w, (uint8_t)(message_id & 0xFFu));
    put_bytes(w, token, token_length);
    return w->error;
}

/* Adds one option whose value is the concatenation of two parts (so "t=" + topic needs no copy). */
static int option_parts(nce_coap_writer_t *w, uint16_t number, const void *part1, size_t length1,
                        const void *part2, size_t length2)
{
    uint8_t ext_delta[2];
    uint8_t ext_length[2];
    size_t n_delta;
    size_t n_length;
    uint8_t first;

    if (w == NULL) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    if (w->error != 0) {
        return w->error;
    }
    if (w->has_payload != 0u) {
        w->error = NCE_COAP_ERR_STATE;
    } else if (number < w->last_option) {
        w->error = NCE_COAP_ERR_OPTION_ORDER;
    } else if (length1 > MAX_OPTION_LENGTH || length2 > MAX_OPTION_LENGTH - length1 ||
               (part1 == NULL && length1 > 0u) || (part2 == NULL && length2 > 0u)) {
        w->error = NCE_COAP_ERR_ARGUMENT;
    }
    if (w->error != 0) {
        return w->error;
    }
    first = (uint8_t)(extended_form((uint32_t)(number - w->last_option), ext_delta, &n_delta) << 4);
    first = (uint8_t)(first | extended_form((uint32_t)(length1 + length2), ext_length, &n_length));
    put_byte(w, first);
    put_bytes(w, ext_delta, n_delta);
    put_bytes(w, ext_length, n_length);
    put_bytes(w, part1, length1);
    put_bytes(w, part2, length2);
    w->last_option = number;
    return w->error;
}

int nce_coap_writer_option(nce_coap_writer_t *w, uint16_t number, const void *value, size_t length)
{
    return option_parts(w, number, value, length, NULL, 0u);
}

int nce_coap_writer_payload(nce_coap_writer_t *w, const void *payload, size_t length)
{
    if (w == NULL) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    if (w->error == 0 && w->has_payload != 0u) {
        w->error = NCE_COAP_ERR_STATE;
    }
    if (w->error == 0 && payload == NULL && length > 0u) {
        w->error = NCE_COAP_ERR_ARGUMENT;
    }
    if (w->error != 0 || length == 0u) {
        return w->error;
    }
    put_byte(w, PAYLOAD_MARKER);
    put_bytes(w, payload, length);
    w->has_payload = 1u;
    return w->error;
}

int nce_coap_writer_finish(const nce_coap_writer_t *w)
{
    if (w == NULL) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    return (w->error != 0) ? w->error : (int)w->length;
}

int nce_coap_empty(uint8_t *buffer, size_t capacity, uint8_t type, uint16_t message_id)
{
    if (buffer == NULL || type > NCE_COAP_RST) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    if (capacity < 4u) {
        return NCE_COAP_ERR_NO_SPACE;
    }
    buffer[0] = (uint8_t)((NCE_COAP_VERSION << 6) | ((unsigned)type << 4));
    buffer[1] = NCE_COAP_EMPTY;
    buffer[2] = (uint8_t)(message_id >> 8);
    buffer[3] = (uint8_t)(message_id & 0xFFu);
    return 4;
}

static int is_topic_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '/';
}

int nce_coap_check_topic(const char *topic)
{
    size_t i;

    if (topic == NULL) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    for (i = 0u; topic[i] != '\0'; i++) {
        if (i >= MAX_TOPIC_LENGTH || !is_topic_char(topic[i]) ||
            (topic[i] == '/' && i > 0u && topic[i - 1u] == '/')) {
            return NCE_COAP_ERR_TOPIC;
        }
    }
    return (i == 0u) ? NCE_COAP_ERR_TOPIC : 0;
}

int nce_coap_build_uplink(uint8_t *buffer, size_t capacity, uint8_t type, uint16_t message_id,
                          const uint8_t *token, size_t token_length, const char *topic,
                          const uint8_t *payload, size_t payload_length)
{
    nce_coap_writer_t w;

    if (type != NCE_COAP_CON && type != NCE_COAP_NON) {
        return NCE_COAP_ERR_ARGUMENT;
    }
    if (topic != NULL) {
        int rc = nce_coap_check_topic(topic);
        if (rc != 0) {
            return rc;
        }
    }
    (void)nce_coap_writer_init(&w, buffer, capacity, type, NCE_COAP_POST, message_id, token,
                               token_length);
    if (topic != NULL) {
        (void)option_parts(&w, NCE_COAP_OPTION_URI_QUERY, "t=", 2u, topic, strlen(topic));
    }
    (void)nce_coap_writer_payload(&w, payload, payload_length);
    return nce_coap_writer_finish(&w);
}
