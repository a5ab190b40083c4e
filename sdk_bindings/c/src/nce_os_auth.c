/* nce_os_auth.c - os_auth(): the bootstrap exchange over the application's UDP port. */
#include "nce_auth.h"
#include "nce_iot_c_sdk.h"

#define REQUEST_BUFFER_SIZE 64u

/* A fixed default token: os_auth() has no source of randomness and keeps no state. */
static const uint8_t default_token[2] = { 0x6Eu, 0x63u };

/* The configured defaults (constant data, not state). */
static const nce_auth_options_t default_options = {
    .message_id = (uint16_t)NCE_SDK_BOOTSTRAP_MESSAGE_ID,
    .token = default_token,
    .token_length = sizeof default_token,
    .confirmable = NCE_SDK_BOOTSTRAP_CONFIRMABLE,
    .attempts = NCE_SDK_ATTEMPTS,
};

void nce_auth_default_options(nce_auth_options_t *opts)
{
    if (opts != NULL) {
        *opts = default_options;
    }
}

int os_auth(os_network_ops_t *osNetwork, DtlsKey_t *nceKey)
{
    return nce_auth(osNetwork, nceKey, &default_options);
}

static int connect_with_retries(const os_network_ops_t *net, int attempts)
{
    int i;

    for (i = 0; i < attempts; i++) {
        if (net->nce_os_udp_connect(net->os_socket, NceOnboard) == 0) {
            return NCE_SDK_SUCCESS;
        }
    }
    return NCE_SDK_CONNECT_ERROR;
}

static void send_empty_ack(const os_network_ops_t *net, uint16_t message_id)
{
    uint8_t ack[4] = { (uint8_t)((NCE_COAP_VERSION << 6) | (NCE_COAP_ACK << 4)), NCE_COAP_EMPTY };

    ack[2] = (uint8_t)(message_id >> 8); /* network order */
    ack[3] = (uint8_t)(message_id & 0xFFu);
    (void)net->nce_os_udp_send(net->os_socket, ack, sizeof ack);
}

/* Reads datagrams until one settles the exchange, a timeout, or the read budget is spent. */
static int await_response(const os_network_ops_t *net, nce_bootstrap_t *b, DtlsKey_t *key,
                          const nce_auth_options_t *opts)
{
    uint8_t buf[NCE_SDK_RECV_BUFFER_SIZE];
    int reads;

    for (reads = 0; reads < NCE_SDK_RECV_READS_PER_ATTEMPT; reads++) {
        int n = net->nce_os_udp_recv(net->os_socket, buf, sizeof buf);
        int rc;
        if (n <= 0) {
            return NCE_SDK_RECEIVE_ERROR;
        }
        rc = nce_bootstrap_accept(b, buf, ((size_t)n < sizeof buf) ? (size_t)n : sizeof buf, key,
                                  opts->endpoint_url, opts->endpoint_url_size);
        if (b->ack_needed != 0u) {
            send_empty_ack(net, b->ack_message_id);
        }
        if (rc != NCE_BOOTSTRAP_PENDING) {
            return rc;
        }
    }
    return NCE_SDK_RECEIVE_ERROR;
}

static int exchange(const os_network_ops_t *net, nce_bootstrap_t *b, DtlsKey_t *key,
                    const nce_auth_options_t *opts)
{
    uint8_t request[REQUEST_BUFFER_SIZE];
    int length = nce_bootstrap_request(b, request, sizeof request);

    if (length < 0) {
        return NCE_SDK_ARGUMENT_ERROR;
    }
    if (net->nce_os_udp_send(net->os_socket, request, (size_t)length) != length) {
        return NCE_SDK_SEND_ERROR;
    }
    return await_response(net, b, key, opts);
}

static int valid_arguments(const os_network_ops_t *net, const DtlsKey_t *key,
                           const nce_auth_options_t *opts)
{
    return net != NULL && key != NULL && opts != NULL && net->nce_os_udp_connect != NULL &&
           net->nce_os_udp_send != NULL && net->nce_os_udp_recv != NULL &&
           net->nce_os_udp_disconnect != NULL && opts->attempts >= 1 &&
           (opts->endpoint_url == NULL || opts->endpoint_url_size > 0u);
}

int nce_auth(os_network_ops_t *osNetwork, DtlsKey_t *nceKey, const nce_auth_options_t *opts)
{
    nce_bootstrap_t b;
    int rc;
    int attempt;

    if (!valid_arguments(osNetwork, nceKey, opts) ||
        nce_bootstrap_init(&b, opts->message_id, opts->token, opts->token_length,
                           opts->confirmable) != NCE_SDK_SUCCESS) {
        return NCE_SDK_ARGUMENT_ERROR;
    }
    rc = connect_with_retries(osNetwork, opts->attempts);
    if (rc != NCE_SDK_SUCCESS) {
        return rc;
    }
    for (attempt = 1;; attempt++) { /* opts->attempts >= 1 */
        rc = exchange(osNetwork, &b, nceKey, opts);
        if (rc != NCE_SDK_SEND_ERROR && rc != NCE_SDK_RECEIVE_ERROR) {
            break; /* settled: credentials, or an answer that retrying will not change */
        }
        if (attempt >= opts->attempts) {
            break;
        }
        nce_bootstrap_next_attempt(&b);
    }
    (void)osNetwork->nce_os_udp_disconnect(osNetwork->os_socket);
    return rc;
}
