/* nce_udp_posix.c - UDP porting interface over POSIX sockets; see nce_udp_posix.h. */
#define _POSIX_C_SOURCE 200112L

#include "nce_udp_posix.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static int posix_disconnect(OSNetwork_t net)
{
    int rc = 0;

    if (net != NULL && net->fd >= 0) {
        rc = close(net->fd);
        net->fd = -1;
    }
    return rc;
}

static int bind_local(int fd, const char *bind_host)
{
    struct addrinfo hints;
    struct addrinfo *local = NULL;
    int rc;

    if (bind_host == NULL) {
        return 0;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(bind_host, NULL, &hints, &local) != 0) {
        return -1;
    }
    rc = bind(fd, local->ai_addr, local->ai_addrlen);
    freeaddrinfo(local);
    return rc;
}

/* The port number as decimal text (getaddrinfo wants a service string). */
static void port_text(int port, char out[8])
{
    char digits[8];
    size_t n = 0u;
    size_t i;
    unsigned value = (port > 0 && port <= 65535) ? (unsigned)port : 0u;

    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value > 0u);
    for (i = 0u; i < n; i++) {
        out[i] = digits[n - 1u - i];
    }
    out[n] = '\0';
}

static int posix_connect(OSNetwork_t net, OSEndPoint_t endpoint)
{
    struct addrinfo hints;
    struct addrinfo *remote = NULL;
    char port[8];
    const char *host;
    int rc;

    if (net == NULL) {
        return -1;
    }
    (void)posix_disconnect(net);
    host = (net->host_override != NULL) ? net->host_override : endpoint.host;
    port_text(net->port_override != 0 ? net->port_override : endpoint.port, port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port, &hints, &remote) != 0) {
        return -1;
    }
    net->fd = socket(remote->ai_family, remote->ai_socktype, remote->ai_protocol);
    rc = (net->fd < 0) ? -1 : bind_local(net->fd, net->bind_host);
    if (rc == 0) {
        rc = connect(net->fd, remote->ai_addr, remote->ai_addrlen);
    }
    freeaddrinfo(remote);
    if (rc != 0) {
        (void)posix_disconnect(net);
        return -1;
    }
    return 0;
}

/* 1 when the socket is ready for `events`, 0 on timeout, -1 on error. */
static int wait_for(const struct OSNetwork *net, short events)
{
    struct pollfd p;
    int rc;

    p.fd = net->fd;
    p.events = events;
    p.revents = 0;
    do {
        rc = poll(&p, 1, net->timeout_ms > 0 ? net->timeout_ms : -1);
    } while (rc < 0 && errno == EINTR);
    return (rc > 0) ? 1 : rc;
}

static int posix_send(OSNetwork_t net, void *buf, size_t len)
{
    ssize_t n;
    int ready;

    if (net == NULL || net->fd < 0) {
        return -1;
    }
    ready = wait_for(net, POLLOUT);
    if (ready <= 0) {
        return ready;
    }
    n = send(net->fd, buf, len, 0);
    return (n < 0) ? -1 : (int)n;
}

static int posix_recv(OSNetwork_t net, void *buf, size_t len)
{
    ssize_t n;
    int ready;

    if (net == NULL || net->fd < 0) {
        return -1;
    }
    ready = wait_for(net, POLLIN);
    if (ready <= 0) {
        return ready;
    }
    n = recv(net->fd, buf, len, 0);
    return (n < 0) ? -1 : (int)n;
}

void nce_posix_udp_init(os_network_ops_t *ops, struct OSNetwork *net, int timeout_ms,
                        const char *host_override, int port_override, const char *bind_host)
{
    net->fd = -1;
    net->timeout_ms = timeout_ms;
    net->host_override = host_override;
    net->port_override = port_override;
    net->bind_host = bind_host;
    ops->os_socket = net;
    ops->nce_os_udp_connect = posix_connect;
    ops->nce_os_udp_send = posix_send;
    ops->nce_os_udp_recv = posix_recv;
    ops->nce_os_udp_disconnect = posix_disconnect;
}
