/*
 * nce_auth.h - Device Authenticator building blocks behind os_auth().
 *
 * The bootstrap exchange as separate steps (build the request, judge each received datagram,
 * parse the "identity,psk,url" payload) so firmware with its own network loop and the host
 * harness can use them directly, plus helpers that turn the PSK into DTLS credentials.
 */
#ifndef NCE_AUTH_H
#define NCE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "nce_coap.h"
#include "nce_iot_c_sdk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* nce_bootstrap_accept(): the datagram is not (yet) the answer; keep waiting. */
#define NCE_BOOTSTRAP_PENDING 1

/* State of one bootstrap exchange. */
typedef struct nce_bootstrap {
    uint16_t first_message_id; /* MID of the first request: responses to any attempt count */
    uint16_t message_id;       /* MID of the current request */
    uint8_t token[NCE_COAP_MAX_TOKEN];
    uint8_t token_length;
    uint8_t confirmable;
    uint8_t response_code;     /* CoAP code of the matching response; 0 until one arrives */
    uint8_t ack_needed;        /* the response came as CON: send an empty ACK for ack_message_id */
    uint16_t ack_message_id;
} nce_bootstrap_t;

/* Starts an exchange. Returns 0, or NCE_SDK_ARGUMENT_ERROR for a token longer than 8 bytes. */
int nce_bootstrap_init(nce_bootstrap_t *b, uint16_t message_id, const uint8_t *token,
                       size_t token_length, int confirmable);

/* Moves to the next attempt (next message ID). */
void nce_bootstrap_next_attempt(nce_bootstrap_t *b);

/*
 * The request datagram: GET coap://coap.os.1nce.com/bootstrap (Uri-Host, Uri-Path), message ID in
 * network order, the token. Returns its length, or a negative NCE_COAP_ERR_* when cap is short.
 */
int nce_bootstrap_request(const nce_bootstrap_t *b, uint8_t *buf, size_t cap);

/*
 * Judges one received datagram. Returns
 *   NCE_SDK_SUCCESS               a 2.05 response for this exchange; key (and url) are filled;
 *   NCE_BOOTSTRAP_PENDING         unrelated, malformed, or an empty ACK (separate response);
 *   NCE_SDK_SERVER_RESPONSE_ERROR an error code (not 2.05) or a reset for this exchange;
 *   NCE_SDK_PARSING_ERROR         a 2.05 whose payload is not "identity,psk[,url]".
 * Sets ack_needed when the response was confirmable. url may be NULL.
 */
int nce_bootstrap_accept(nce_bootstrap_t *b, const uint8_t *datagram, size_t length,
                         DtlsKey_t *key, char *url, size_t url_size);

/*
 * Parses "identity,psk[,url]" (printable ASCII; a trailing CR/LF is ignored). identity and psk
 * must be 1..99 characters; url, when given and url is not NULL, must fit url_size. Returns
 * NCE_SDK_SUCCESS or NCE_SDK_PARSING_ERROR (key and url untouched then).
 */
int nce_bootstrap_parse_payload(const uint8_t *payload, size_t length, DtlsKey_t *key, char *url,
                                size_t url_size);

/* DTLS-PSK credentials as views into a DtlsKey_t: the key bytes are the ASCII PSK string. */
typedef struct nce_dtls_psk {
    const char *identity;
    size_t identity_length;
    const uint8_t *key;
    size_t key_length;
} nce_dtls_psk_t;

/* Returns NCE_SDK_SUCCESS, or NCE_SDK_ARGUMENT_ERROR when a field is empty or not terminated. */
int nce_dtls_psk_from_key(const DtlsKey_t *key, nce_dtls_psk_t *out);

/* The PSK as lowercase hex (for modem key stores such as the nRF91's that take hex). Returns the
 * number of characters written (without the NUL), or NCE_SDK_ARGUMENT_ERROR when out is short. */
int nce_dtls_psk_hex(const DtlsKey_t *key, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif

#endif /* NCE_AUTH_H */
