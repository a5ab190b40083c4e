/*
 * udp_interface.h - the UDP porting interface of the nce-hil C SDK.
 *
 * Source-compatible with the interface of the public 1NCE IoT C SDK: the application fills one
 * os_network_ops_t with its socket handle and four callbacks and hands it to os_auth(). The SDK
 * never opens sockets itself; it only calls these functions.
 */
#ifndef NCE_UDP_INTERFACE_H
#define NCE_UDP_INTERFACE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The port defines struct OSNetwork (e.g. holding a socket descriptor); the SDK only passes the
 * pointer through. */
struct OSNetwork;
typedef struct OSNetwork *OSNetwork_t;

/* A remote UDP endpoint: host name or dotted address, and port. */
typedef struct OSEndPoint {
    const char host[100];
    int port;
} OSEndPoint_t;

/* Returns 0 on success, a negative value on failure. */
typedef int (*nce_os_udp_connect_t)(OSNetwork_t osnetwork, OSEndPoint_t nce_oboarding);
/* Return the number of bytes sent/received (> 0), 0 on timeout, a negative value on error. */
typedef int (*nce_os_udp_send_t)(OSNetwork_t osnetwork, void *buf, size_t len);
typedef int (*nce_os_udp_recv_t)(OSNetwork_t osnetwork, void *buf, size_t len);
/* Returns 0 on success. */
typedef int (*nce_os_udp_disconnect_t)(OSNetwork_t osnetwork);

typedef struct os_network_ops {
    OSNetwork_t os_socket;
    nce_os_udp_connect_t nce_os_udp_connect;
    nce_os_udp_send_t nce_os_udp_send;
    nce_os_udp_recv_t nce_os_udp_recv;
    nce_os_udp_disconnect_t nce_os_udp_disconnect;
} os_network_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* NCE_UDP_INTERFACE_H */
