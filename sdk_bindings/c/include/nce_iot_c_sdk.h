/*
 * nce_iot_c_sdk.h - public API of the nce-hil C SDK.
 *
 * Source-compatible with the public 1NCE IoT C SDK (v2): os_auth() fetches DTLS credentials from
 * the 1NCE Device Authenticator, os_energy_save() packs values for an Energy Saver (BCL) template.
 * Unlike the public SDK it sends a well-formed CoAP request (message ID in network order, no
 * sprintf truncation), checks the CoAP response code, parses the reply with bounds, and encodes
 * integers of 1, 2, 4 and 8 bytes in an explicit byte order.
 *
 * No dynamic memory, no printf family, no global mutable state. C99.
 *
 * Extensions (nce_ prefix) sit beside the compatible API:
 *   nce_energy_save()  - bounded, non-variadic energy saver with an explicit byte order;
 *   nce_auth()         - os_auth() with options (message ID, token, CoAP type, endpoint URL);
 *   nce_auth.h, nce_coap.h, nce_bcl.h - bootstrap helpers, CoAP codec, template-driven encoder.
 */
#ifndef NCE_IOT_C_SDK_H
#define NCE_IOT_C_SDK_H

#include <stddef.h>
#include <stdint.h>

#include "udp_interface.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Return codes (values as in the public SDK; NCE_SDK_ARGUMENT_ERROR is ours) ------------- */
enum {
    NCE_SDK_SUCCESS = 0,
    NCE_SDK_CONNECT_ERROR = -1,
    NCE_SDK_DTLS_CONNECT_ERROR = -2,
    NCE_SDK_SEND_ERROR = -3,
    NCE_SDK_RECEIVE_ERROR = -4,
    NCE_SDK_PARSING_ERROR = -5,
    NCE_SDK_BINARY_PAYLOAD_ERROR = -6,
    NCE_SDK_SERVER_RESPONSE_ERROR = -7,
    NCE_SDK_ARGUMENT_ERROR = -8
};

/* ---- Configuration (override with -D or, under Zephyr, Kconfig) --------------------------- */
#if defined(__ZEPHYR__)
#ifdef CONFIG_NCE_DEVICE_AUTHENTICATOR
#define NCE_DEVICE_AUTHENTICATOR
#endif
#ifdef CONFIG_NCE_ENERGY_SAVER
#define NCE_ENERGY_SAVER
#endif
#if defined(CONFIG_NCE_SDK_ATTEMPTS) && !defined(NCE_SDK_ATTEMPTS)
#define NCE_SDK_ATTEMPTS CONFIG_NCE_SDK_ATTEMPTS
#endif
#if defined(CONFIG_NCE_SDK_MAX_STRING_SIZE) && !defined(NCE_SDK_MAX_STRING_SIZE)
#define NCE_SDK_MAX_STRING_SIZE CONFIG_NCE_SDK_MAX_STRING_SIZE
#endif
#else
#ifndef NCE_DEVICE_AUTHENTICATOR
#define NCE_DEVICE_AUTHENTICATOR
#endif
#ifndef NCE_ENERGY_SAVER
#define NCE_ENERGY_SAVER
#endif
#endif

/* Connect and request attempts of os_auth(). */
#ifndef NCE_SDK_ATTEMPTS
#define NCE_SDK_ATTEMPTS 5
#endif

/* Size of the string buffer of one energy saver element. */
#ifndef NCE_SDK_MAX_STRING_SIZE
#define NCE_SDK_MAX_STRING_SIZE 50
#endif

/* Byte order os_energy_save() writes multi-byte integers and floats in. Little-endian by
 * default, like the public SDK on every MCU it supports and like its blueprint templates
 * ("byteorder": "little"); set NCE_SDK_BIG_ENDIAN for templates using the BCL default "big".
 * nce_energy_save() takes the byte order per call; nce_bcl_encode() per template field. */
#define NCE_SDK_LITTLE_ENDIAN 0
#define NCE_SDK_BIG_ENDIAN 1
#ifndef NCE_SDK_ENERGY_SAVER_BYTE_ORDER
#define NCE_SDK_ENERGY_SAVER_BYTE_ORDER NCE_SDK_LITTLE_ENDIAN
#endif

/* Bootstrap request: first CoAP message ID (incremented per attempt; sent in network order),
 * confirmable (1, server answers with a piggybacked ACK) or non-confirmable (0, as the public
 * SDK), receive buffer size (on the stack of os_auth) and datagrams read per attempt. */
#ifndef NCE_SDK_BOOTSTRAP_MESSAGE_ID
#define NCE_SDK_BOOTSTRAP_MESSAGE_ID 1001u
#endif
#ifndef NCE_SDK_BOOTSTRAP_CONFIRMABLE
#define NCE_SDK_BOOTSTRAP_CONFIRMABLE 1
#endif
#ifndef NCE_SDK_RECV_BUFFER_SIZE
#define NCE_SDK_RECV_BUFFER_SIZE 384
#endif
#ifndef NCE_SDK_RECV_READS_PER_ATTEMPT
#define NCE_SDK_RECV_READS_PER_ATTEMPT 4
#endif

#define NCE_SDK_BOOTSTRAP_HOST "coap.os.1nce.com"
#define NCE_SDK_BOOTSTRAP_PORT 5683
#define NCE_SDK_BOOTSTRAP_PATH "bootstrap"

/* ---- Device Authenticator ----------------------------------------------------------------- */

/* DTLS credentials: NUL-terminated PSK (the ASCII bytes are the key) and identity (the ICCID). */
typedef struct DtlsKey {
    char Psk[100];
    char PskIdentity[100];
} DtlsKey_t;

/* The Device Authenticator endpoint (plain CoAP; the bootstrap is not done over DTLS). */
static const OSEndPoint_t NceOnboard = { NCE_SDK_BOOTSTRAP_HOST, NCE_SDK_BOOTSTRAP_PORT };

/* Options of nce_auth(); start from nce_auth_default_options(). A NULL pointer is
 * rejected with NCE_SDK_ARGUMENT_ERROR (os_auth() is the call with the defaults). */
typedef struct nce_auth_options {
    uint16_t message_id;       /* CoAP message ID of the first request */
    const uint8_t *token;      /* 0..8 token bytes (may be NULL when token_length is 0) */
    size_t token_length;
    int confirmable;           /* 1: CON request, 0: NON request */
    int attempts;              /* connect and request attempts, >= 1 */
    char *endpoint_url;        /* optional: receives the third field (the coaps URL) */
    size_t endpoint_url_size;  /* size of endpoint_url including the NUL */
} nce_auth_options_t;

/* Fills opts with the configured defaults (NCE_SDK_BOOTSTRAP_*, NCE_SDK_ATTEMPTS). */
void nce_auth_default_options(nce_auth_options_t *opts);

/*
 * Fetches the DTLS identity and PSK of this SIM from the Device Authenticator: a CoAP GET
 * coap://coap.os.1nce.com:5683/bootstrap over the application's UDP port. Retries up to
 * NCE_SDK_ATTEMPTS times on timeouts. Returns NCE_SDK_SUCCESS and fills nceKey, or:
 *   NCE_SDK_CONNECT_ERROR         connect failed on every attempt;
 *   NCE_SDK_SEND_ERROR            the last attempt could not send;
 *   NCE_SDK_RECEIVE_ERROR         no response (timeouts or receive errors);
 *   NCE_SDK_SERVER_RESPONSE_ERROR the server answered with an error code (4.xx/5.xx) or a reset;
 *   NCE_SDK_PARSING_ERROR         a 2.05 response whose payload is not "identity,psk[,url]";
 *   NCE_SDK_ARGUMENT_ERROR        NULL pointers or missing callbacks.
 * nceKey is only written on success.
 */
int os_auth(os_network_ops_t *osNetwork, DtlsKey_t *nceKey);
int nce_auth(os_network_ops_t *osNetwork, DtlsKey_t *nceKey, const nce_auth_options_t *opts);

/* ---- Energy Saver ------------------------------------------------------------------------- */

typedef enum E_Type {
    E_CHAR,
    E_FLOAT,
    E_INTEGER,
    E_STRING
} E_Type;

/* One field of an energy saver payload. template_length is the number of bytes the field takes
 * (the template's bytelength): E_CHAR 1; E_INTEGER 1, 2, 4 or 8 (the int is sign-extended;
 * 1- and 2-byte fields accept the signed and the unsigned range); E_FLOAT 4 (float32) or 8
 * (float64, the float widened exactly); E_STRING >= 1 (the string NUL-padded to it; a longer
 * string is an error). */
typedef struct Element2byte_gen {
    E_Type type;
    union {
        char c;
        float f;
        int i;
        char s[NCE_SDK_MAX_STRING_SIZE];
        char bytes[NCE_SDK_MAX_STRING_SIZE];
    } value;
    int template_length;
} Element2byte_gen_t;

/*
 * Writes the selector byte (-128..255) and then each Element2byte_gen_t (passed by value) back to
 * back into packet, in NCE_SDK_ENERGY_SAVER_BYTE_ORDER. Returns the number of bytes written, or
 * NCE_SDK_BINARY_PAYLOAD_ERROR for a value that does not fit its field, an unknown type or a
 * bad length. The caller provides a packet large enough for 1 + sum(template_length);
 * nce_energy_save() checks that bound itself.
 */
int os_energy_save(char *packet, int selector, int num_args, ...);

/* Like os_energy_save() with an array of elements, a capacity and an explicit byte order
 * (NCE_SDK_LITTLE_ENDIAN or NCE_SDK_BIG_ENDIAN). Nothing beyond capacity is written. */
int nce_energy_save(uint8_t *packet, size_t capacity, int byte_order, int selector,
                    const Element2byte_gen_t *elements, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* NCE_IOT_C_SDK_H */
