/*
 * nce_coap.h - a small CoAP (RFC 7252) message codec.
 *
 * Builds and parses the binary message format: the 4-byte header, a 0..8 byte token, options
 * with delta/length encoding (including the 13 and 14 extended forms), and the 0xFF payload
 * marker. Parsing is zero-copy: option values and the payload point into the caller's buffer.
 * No dynamic memory, no global state.
 */
#ifndef NCE_COAP_H
#define NCE_COAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NCE_COAP_VERSION 1u
#define NCE_COAP_MAX_TOKEN 8u

/* Message types. */
#define NCE_COAP_CON 0u
#define NCE_COAP_NON 1u
#define NCE_COAP_ACK 2u
#define NCE_COAP_RST 3u

/* Codes: class (0..7) and detail (0..31), printed as c.dd. */
#define NCE_COAP_CODE(cls, detail) ((uint8_t)(((cls) << 5) | (detail)))
#define NCE_COAP_CODE_CLASS(code) ((uint8_t)((code) >> 5))
#define NCE_COAP_CODE_DETAIL(code) ((uint8_t)((code) & 0x1Fu))
#define NCE_COAP_EMPTY NCE_COAP_CODE(0, 0)
#define NCE_COAP_GET NCE_COAP_CODE(0, 1)
#define NCE_COAP_POST NCE_COAP_CODE(0, 2)
#define NCE_COAP_PUT NCE_COAP_CODE(0, 3)
#define NCE_COAP_DELETE NCE_COAP_CODE(0, 4)
#define NCE_COAP_CHANGED NCE_COAP_CODE(2, 4)
#define NCE_COAP_CONTENT NCE_COAP_CODE(2, 5)

/* Option numbers used by the SDK. */
#define NCE_COAP_OPTION_URI_HOST 3u
#define NCE_COAP_OPTION_URI_PORT 7u
#define NCE_COAP_OPTION_URI_PATH 11u
#define NCE_COAP_OPTION_CONTENT_FORMAT 12u
#define NCE_COAP_OPTION_URI_QUERY 15u

/* Error codes (negative). */
#define NCE_COAP_ERR_ARGUMENT (-1)        /* NULL pointer or out-of-range argument */
#define NCE_COAP_ERR_NO_SPACE (-2)        /* the output buffer is too small */
#define NCE_COAP_ERR_TRUNCATED (-3)       /* the message ends inside a header, token or option */
#define NCE_COAP_ERR_VERSION (-4)         /* version is not 1 */
#define NCE_COAP_ERR_TOKEN_LENGTH (-5)    /* token length 9..15 */
#define NCE_COAP_ERR_OPTION (-6)          /* reserved nibble 15 or option number above 65535 */
#define NCE_COAP_ERR_OPTION_ORDER (-7)    /* builder: option numbers must not decrease */
#define NCE_COAP_ERR_RESERVED_8 (-8)      /* unused (was: too many options) */
#define NCE_COAP_ERR_EMPTY_PAYLOAD (-9)   /* payload marker followed by nothing */
#define NCE_COAP_ERR_EMPTY_MESSAGE (-10)  /* code 0.00 with a token, options or payload */
#define NCE_COAP_ERR_STATE (-11)          /* builder: option after payload, or payload twice */
#define NCE_COAP_ERR_TOPIC (-12)          /* uplink topic not [A-Za-z0-9_/]{1,253} without "//" */

typedef struct nce_coap_option {
    uint16_t number;
    uint16_t length;
    const uint8_t *value;
} nce_coap_option_t;

/* A parsed message. The caller lends the option storage: `options` (may be NULL) with room for
 * `option_capacity` entries. option_count counts every option; only the first option_capacity
 * are stored. */
typedef struct nce_coap_message {
    uint8_t type;
    uint8_t code;
    uint16_t message_id;
    uint8_t token_length;
    uint8_t token[NCE_COAP_MAX_TOKEN];
    nce_coap_option_t *options;
    size_t option_capacity;
    size_t option_count;
    const uint8_t *payload; /* NULL when there is no payload */
    size_t payload_length;
} nce_coap_message_t;

/* Parses one datagram. Set msg->options and msg->option_capacity first (NULL and 0 to only
 * validate and count the options). Returns 0 and fills msg, or a negative NCE_COAP_ERR_*. */
int nce_coap_parse(const uint8_t *data, size_t length, nce_coap_message_t *msg);

/* Returns the index-th (0-based) stored option with this number, or NULL. */
const nce_coap_option_t *nce_coap_find_option(const nce_coap_message_t *msg, uint16_t number,
                                              size_t index);

/* Incremental builder. Errors are sticky: once a call fails, every later call returns the same
 * error, so call sites may check only nce_coap_writer_finish(). */
typedef struct nce_coap_writer {
    uint8_t *buffer;
    size_t capacity;
    size_t length;
    uint16_t last_option;
    uint8_t has_payload;
    int error;
} nce_coap_writer_t;

int nce_coap_writer_init(nce_coap_writer_t *w, uint8_t *buffer, size_t capacity, uint8_t type,
                         uint8_t code, uint16_t message_id, const uint8_t *token,
                         size_t token_length);
/* Options must be added in non-decreasing number order; value may be NULL when length is 0. */
int nce_coap_writer_option(nce_coap_writer_t *w, uint16_t number, const void *value, size_t length);
/* An empty payload adds nothing (RFC 7252 forbids a marker without payload). */
int nce_coap_writer_payload(nce_coap_writer_t *w, const void *payload, size_t length);
/* Returns the message length, or the first error. */
int nce_coap_writer_finish(const nce_coap_writer_t *w);

/* An empty ACK (or RST) for message_id: 4 bytes. Returns the length or an error. */
int nce_coap_empty(uint8_t *buffer, size_t capacity, uint8_t type, uint16_t message_id);

/* 0 when topic is a valid 1NCE CoAP uplink topic: 1..253 of [A-Za-z0-9_/] without "//". */
int nce_coap_check_topic(const char *topic);

/*
 * An uplink to 1NCE OS: POST to the root path, with Uri-Query "t=<topic>" when topic is not NULL,
 * and the payload. type is NCE_COAP_CON or NCE_COAP_NON. Returns the length or an error.
 */
int nce_coap_build_uplink(uint8_t *buffer, size_t capacity, uint8_t type, uint16_t message_id,
                          const uint8_t *token, size_t token_length, const char *topic,
                          const uint8_t *payload, size_t payload_length);

#ifdef __cplusplus
}
#endif

#endif /* NCE_COAP_H */
