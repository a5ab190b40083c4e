/* app.c - the footprint application. Without NCE_FOOTPRINT_WITH_SDK it only sets up a UDP port
 * (stub callbacks); with it, it also calls os_auth, os_energy_save and nce_bcl_encode with the
 * demo template tables, so the size difference is what those three calls add to an image. */
#include <stdint.h>

#include "nce_iot_c_sdk.h"

#ifdef NCE_FOOTPRINT_WITH_SDK
#include "demo.h"
#include "nce_bcl.h"
#endif

struct OSNetwork {
    int unused;
};

static int stub_connect(OSNetwork_t net, OSEndPoint_t endpoint)
{
    (void)net;
    (void)endpoint;
    return 0;
}

static int stub_transfer(OSNetwork_t net, void *buf, size_t len)
{
    (void)net;
    (void)buf;
    return (int)len;
}

static int stub_disconnect(OSNetwork_t net)
{
    (void)net;
    return 0;
}

volatile int sink;
volatile const void *volatile keep;

int main(void)
{
    static struct OSNetwork net;
    static os_network_ops_t ops = { &net, stub_connect, stub_transfer, stub_transfer, stub_disconnect };

    keep = &ops;
    sink = 0; /* both images use the sink, so the difference is only the SDK */
#ifdef NCE_FOOTPRINT_WITH_SDK
    {
        DtlsKey_t key;
        char packet[32];
        Element2byte_gen_t battery = { .type = E_INTEGER, .value.i = 99, .template_length = 1 };
        Element2byte_gen_t version = { .type = E_STRING, .value.s = "2.2.1", .template_length = 5 };
        nce_bcl_value_t values[DEMO_VALUE_COUNT];

        values[DEMO_SWITCH_0] = NCE_BCL_I(1);
        values[DEMO_BATTERY_LEVEL] = NCE_BCL_U(99);
        values[DEMO_SIGNAL_STRENGTH] = NCE_BCL_U(84);
        values[DEMO_SOFTWARE_VERSION] = NCE_BCL_S("2.2.1");
        sink = os_auth(&ops, &key);
        sink = os_energy_save(packet, 1, 2, battery, version);
        sink = nce_bcl_encode(&demo_template, values, DEMO_VALUE_COUNT, (uint8_t *)packet, sizeof packet);
    }
#endif
    return 0;
}
