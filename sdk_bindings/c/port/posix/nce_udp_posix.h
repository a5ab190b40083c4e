/*
 * nce_udp_posix.h - the UDP porting interface (udp_interface.h) over POSIX sockets.
 *
 * For Linux hosts: host tools, tests, and firmware logic running natively against the emulated
 * 1NCE cloud. host_override / port_override redirect every connect (e.g. coap.os.1nce.com to a
 * loopback emulator), and bind_host pins the local address (the virtual lab identifies a SIM by
 * its source address).
 */
#ifndef NCE_UDP_POSIX_H
#define NCE_UDP_POSIX_H

#include "udp_interface.h"

#ifdef __cplusplus
extern "C" {
#endif

struct OSNetwork {
    int fd;
    int timeout_ms;         /* send and receive timeout; <= 0 waits forever */
    const char *host_override; /* NULL: use the endpoint's host */
    int port_override;      /* 0: use the endpoint's port */
    const char *bind_host;  /* NULL: any local address */
};

/* Fills ops for net (fd is set to -1 until connect). The strings must outlive the ops. */
void nce_posix_udp_init(os_network_ops_t *ops, struct OSNetwork *net, int timeout_ms,
                        const char *host_override, int port_override, const char *bind_host);

#ifdef __cplusplus
}
#endif

#endif /* NCE_UDP_POSIX_H */
