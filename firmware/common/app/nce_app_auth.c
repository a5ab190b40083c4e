/*
 * nce_app_auth.c - the Device Authenticator bootstrap: the SDK's os_auth() over a UDP socket of
 * the app's link (struct OSNetwork is this port of the SDK's UDP interface).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_app.h"
#include "nce_app_internal.h"
#include "nce_iot_c_sdk.h"

/* How long one read of os_auth waits for the Device Authenticator's answer. */
#ifndef NCE_APP_AUTH_RECV_TIMEOUT_MS
#define NCE_APP_AUTH_RECV_TIMEOUT_MS 3000u
#endif

struct OSNetwork {
    const nce_link_t *link;
    const nce_config_t *config;
};

static int auth_connect(OSNetwork_t net, OSEndPoint_t endpoint)
{
    const char *host = endpoint.host;
    uint16_t port = (uint16_t)endpoint.port;

    /* The SDK names the production endpoint; the config block says where it really is (a lab,
     * an emulator, a private APN's proxy). */
    if (strcmp(endpoint.host, NCE_SDK_BOOTSTRAP_HOST) == 0 && endpoint.port == NCE_SDK_BOOTSTRAP_PORT) {
        host = net->config->coap_host;
        port = net->config->coap_port;
    }
    return net->link->udp_open(net->link->ctx, host, port, 0u) == NCE_MODEM_OK ? 0 : -1;
}

static int auth_send(OSNetwork_t net, void *buf, size_t len)
{
    return net->link->udp_send(net->link->ctx, (const uint8_t *)buf, len) == NCE_MODEM_OK ? (int)len : -1;
}

static int auth_recv(OSNetwork_t net, void *buf, size_t len)
{
    size_t received = 0;
    nce_modem_status_t status =
        net->link->udp_receive(net->link->ctx, (uint8_t *)buf, len, &received, NCE_APP_AUTH_RECV_TIMEOUT_MS);

    if (status == NCE_MODEM_TIMEOUT) {
        return 0;
    }
    return status == NCE_MODEM_OK ? (int)received : -1;
}

static int auth_disconnect(OSNetwork_t net)
{
    return net->link->udp_close(net->link->ctx) == NCE_MODEM_OK ? 0 : -1;
}

static const char *auth_cause(int result)
{
    switch (result) {
    case NCE_SDK_CONNECT_ERROR:
        return "auth_connect";
    case NCE_SDK_SEND_ERROR:
        return "auth_send";
    case NCE_SDK_RECEIVE_ERROR:
        return "auth_receive";
    case NCE_SDK_PARSING_ERROR:
        return "auth_parse";
    case NCE_SDK_SERVER_RESPONSE_ERROR:
        return "auth_server";
    default:
        return "auth_argument";
    }
}

int nce_app_bootstrap(nce_app_t *app)
{
    struct OSNetwork net;
    os_network_ops_t ops;
    DtlsKey_t key;
    nce_log_line_t line;
    int result;

    net.link = app->link;
    net.config = &app->config;
    ops.os_socket = &net;
    ops.nce_os_udp_connect = auth_connect;
    ops.nce_os_udp_send = auth_send;
    ops.nce_os_udp_recv = auth_recv;
    ops.nce_os_udp_disconnect = auth_disconnect;
    result = os_auth(&ops, &key);
    /* os_auth disconnects on success; after a failure the socket may still be open. */
    if (result != NCE_SDK_SUCCESS) {
        (void)app->link->udp_close(app->link->ctx);
        nce_log_error(auth_cause(result), "auth", NULL);
        return -1;
    }
    memcpy(app->psk_identity, key.PskIdentity, sizeof app->psk_identity);
    memcpy(app->psk, key.Psk, sizeof app->psk);
    memset(&key, 0, sizeof key); /* the only copy left is app->psk */
    app->bootstrapped = 1u;
    nce_log_begin(&line, NCE_LOG_INFO, "auth");
    nce_log_str(&line, "identity", app->psk_identity);
    nce_log_u32(&line, "psk_len", (uint32_t)strlen(app->psk));
    nce_log_end(&line);
    return 0;
}
