"""cffi out-of-line API-mode build of the C SDK as ``sdk_bindings._nce_sdk``.

Run by setuptools at install time (setup.py: cffi_modules). Compiles the SDK sources, the POSIX
UDP port and the host-only bench support into one extension, plus a UDP port whose callbacks
are Python functions (so os_auth can run over a Python transport).
"""

from __future__ import annotations

import os
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
C_DIR = HERE / "c"
SOURCES = [
    C_DIR / "src" / "nce_coap.c",
    C_DIR / "src" / "nce_auth.c",
    C_DIR / "src" / "nce_os_auth.c",
    C_DIR / "src" / "nce_energy_save.c",
    C_DIR / "src" / "nce_bcl.c",
    C_DIR / "src" / "nce_float.c",
    C_DIR / "port" / "posix" / "nce_udp_posix.c",
    C_DIR / "support" / "nce_bench.c",
]
INCLUDE_DIRS = [C_DIR / "include", C_DIR / "src", C_DIR / "port" / "posix", C_DIR / "support"]

CDEF = """
/* udp_interface.h */
struct OSNetwork { int fd; int timeout_ms; const char *host_override; int port_override;
                   const char *bind_host; };
typedef struct OSNetwork *OSNetwork_t;
typedef struct OSEndPoint { const char host[100]; int port; } OSEndPoint_t;
typedef int (*nce_os_udp_connect_t)(OSNetwork_t, OSEndPoint_t);
typedef int (*nce_os_udp_send_t)(OSNetwork_t, void *, size_t);
typedef int (*nce_os_udp_recv_t)(OSNetwork_t, void *, size_t);
typedef int (*nce_os_udp_disconnect_t)(OSNetwork_t);
typedef struct os_network_ops {
    OSNetwork_t os_socket;
    nce_os_udp_connect_t nce_os_udp_connect;
    nce_os_udp_send_t nce_os_udp_send;
    nce_os_udp_recv_t nce_os_udp_recv;
    nce_os_udp_disconnect_t nce_os_udp_disconnect;
} os_network_ops_t;

/* nce_iot_c_sdk.h */
#define NCE_SDK_SUCCESS ...
#define NCE_SDK_CONNECT_ERROR ...
#define NCE_SDK_DTLS_CONNECT_ERROR ...
#define NCE_SDK_SEND_ERROR ...
#define NCE_SDK_RECEIVE_ERROR ...
#define NCE_SDK_PARSING_ERROR ...
#define NCE_SDK_BINARY_PAYLOAD_ERROR ...
#define NCE_SDK_SERVER_RESPONSE_ERROR ...
#define NCE_SDK_ARGUMENT_ERROR ...
#define NCE_SDK_ATTEMPTS ...
#define NCE_SDK_MAX_STRING_SIZE ...
#define NCE_SDK_LITTLE_ENDIAN ...
#define NCE_SDK_BIG_ENDIAN ...
#define NCE_SDK_ENERGY_SAVER_BYTE_ORDER ...
#define NCE_SDK_BOOTSTRAP_MESSAGE_ID ...
#define NCE_SDK_BOOTSTRAP_CONFIRMABLE ...
#define NCE_SDK_BOOTSTRAP_PORT ...
typedef struct DtlsKey { char Psk[100]; char PskIdentity[100]; } DtlsKey_t;
typedef struct nce_auth_options {
    uint16_t message_id; const uint8_t *token; size_t token_length; int confirmable;
    int attempts; char *endpoint_url; size_t endpoint_url_size;
} nce_auth_options_t;
void nce_auth_default_options(nce_auth_options_t *opts);
int os_auth(os_network_ops_t *osNetwork, DtlsKey_t *nceKey);
int nce_auth(os_network_ops_t *osNetwork, DtlsKey_t *nceKey, const nce_auth_options_t *opts);
typedef enum E_Type { E_CHAR, E_FLOAT, E_INTEGER, E_STRING } E_Type;
typedef struct Element2byte_gen {
    E_Type type;
    union { char c; float f; int i; char s[50]; char bytes[50]; } value;
    int template_length;
} Element2byte_gen_t;
int nce_energy_save(uint8_t *packet, size_t capacity, int byte_order, int selector,
                    const Element2byte_gen_t *elements, size_t count);

/* nce_coap.h */
typedef struct nce_coap_option { uint16_t number; uint16_t length; const uint8_t *value; }
    nce_coap_option_t;
typedef struct nce_coap_message {
    uint8_t type; uint8_t code; uint16_t message_id; uint8_t token_length; uint8_t token[8];
    nce_coap_option_t *options; size_t option_capacity; size_t option_count;
    const uint8_t *payload; size_t payload_length;
} nce_coap_message_t;
int nce_coap_parse(const uint8_t *data, size_t length, nce_coap_message_t *msg);
typedef struct nce_coap_writer {
    uint8_t *buffer; size_t capacity; size_t length; uint16_t last_option; uint8_t has_payload;
    int error;
} nce_coap_writer_t;
int nce_coap_writer_init(nce_coap_writer_t *w, uint8_t *buffer, size_t capacity, uint8_t type,
                         uint8_t code, uint16_t message_id, const uint8_t *token,
                         size_t token_length);
int nce_coap_writer_option(nce_coap_writer_t *w, uint16_t number, const void *value, size_t length);
int nce_coap_writer_payload(nce_coap_writer_t *w, const void *payload, size_t length);
int nce_coap_writer_finish(const nce_coap_writer_t *w);
int nce_coap_empty(uint8_t *buffer, size_t capacity, uint8_t type, uint16_t message_id);
int nce_coap_check_topic(const char *topic);
int nce_coap_build_uplink(uint8_t *buffer, size_t capacity, uint8_t type, uint16_t message_id,
                          const uint8_t *token, size_t token_length, const char *topic,
                          const uint8_t *payload, size_t payload_length);

/* nce_auth.h */
typedef struct nce_bootstrap {
    uint16_t first_message_id; uint16_t message_id; uint8_t token[8]; uint8_t token_length;
    uint8_t confirmable; uint8_t response_code; uint8_t ack_needed; uint16_t ack_message_id;
} nce_bootstrap_t;
int nce_bootstrap_init(nce_bootstrap_t *b, uint16_t message_id, const uint8_t *token,
                       size_t token_length, int confirmable);
void nce_bootstrap_next_attempt(nce_bootstrap_t *b);
int nce_bootstrap_request(const nce_bootstrap_t *b, uint8_t *buf, size_t cap);
int nce_bootstrap_accept(nce_bootstrap_t *b, const uint8_t *datagram, size_t length,
                         DtlsKey_t *key, char *url, size_t url_size);
int nce_bootstrap_parse_payload(const uint8_t *payload, size_t length, DtlsKey_t *key, char *url,
                                size_t url_size);
typedef struct nce_dtls_psk {
    const char *identity; size_t identity_length; const uint8_t *key; size_t key_length;
} nce_dtls_psk_t;
int nce_dtls_psk_from_key(const DtlsKey_t *key, nce_dtls_psk_t *out);
int nce_dtls_psk_hex(const DtlsKey_t *key, char *out, size_t out_size);

/* nce_bcl.h */
typedef struct nce_bcl_value {
    union { int64_t i; uint64_t u; double f; float f32;
            struct { const uint8_t *data; size_t length; } b; } as;
} nce_bcl_value_t;
typedef struct nce_bcl_stmt {
    uint8_t op; uint8_t type; uint8_t flags; uint8_t reserved; uint16_t slot; uint16_t byte;
    int16_t endbyte; uint16_t length; uint16_t next; uint16_t end;
} nce_bcl_stmt_t;
typedef struct nce_bcl_template {
    const nce_bcl_stmt_t *stmts; const nce_bcl_value_t *cases; uint16_t stmt_count;
    uint16_t case_count; uint16_t value_count; uint8_t flags;
} nce_bcl_template_t;
int nce_bcl_encode(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                   uint8_t *out, size_t capacity);
int nce_bcl_encode_at(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                      uint8_t *out, size_t capacity, size_t *failed_stmt);

/* port/posix and the Python port */
void nce_posix_udp_init(os_network_ops_t *ops, struct OSNetwork *net, int timeout_ms,
                        const char *host_override, int port_override, const char *bind_host);
extern "Python" int nce_py_connect(OSNetwork_t, const char *, int);
extern "Python" int nce_py_send(OSNetwork_t, void *, size_t);
extern "Python" int nce_py_recv(OSNetwork_t, void *, size_t);
extern "Python" int nce_py_disconnect(OSNetwork_t);
void nce_py_udp_init(os_network_ops_t *ops, void *handle);

/* support */
int nce_bench_bcl_encode(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                         uint8_t *out, size_t capacity, uint32_t iterations, uint64_t *elapsed_ns);
"""

SOURCE = """
#include "nce_iot_c_sdk.h"
#include "nce_auth.h"
#include "nce_coap.h"
#include "nce_bcl.h"
#include "nce_udp_posix.h"
#include "nce_bench.h"

static int nce_py_connect(OSNetwork_t, const char *, int);
static int nce_py_send(OSNetwork_t, void *, size_t);
static int nce_py_recv(OSNetwork_t, void *, size_t);
static int nce_py_disconnect(OSNetwork_t);

/* The endpoint arrives by value; Python gets its host and port. */
static int nce_py_connect_endpoint(OSNetwork_t net, OSEndPoint_t endpoint)
{
    return nce_py_connect(net, endpoint.host, endpoint.port);
}

static void nce_py_udp_init(os_network_ops_t *ops, void *handle)
{
    ops->os_socket = (OSNetwork_t)handle;
    ops->nce_os_udp_connect = nce_py_connect_endpoint;
    ops->nce_os_udp_send = nce_py_send;
    ops->nce_os_udp_recv = nce_py_recv;
    ops->nce_os_udp_disconnect = nce_py_disconnect;
}
"""


def _relative(path: Path) -> str:
    # setuptools wants source paths relative to the project root (the working directory).
    return os.path.relpath(path)


ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "sdk_bindings._nce_sdk",
    SOURCE,
    sources=[_relative(p) for p in SOURCES],
    include_dirs=[_relative(p) for p in INCLUDE_DIRS],
    extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
