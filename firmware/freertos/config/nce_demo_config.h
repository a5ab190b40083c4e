/*
 * nce_demo_config.h - what the FreeRTOS firmware does: the one file to edit (like the
 * nce_demo_config.h of 1NCE's FreeRTOS blueprint).
 *
 * The demos below are compiled in (1) or left out (0). The config block (`hil image stamp`) can
 * switch a compiled-in demo off at run time through its flags, never a left-out one on. Endpoints,
 * APN, uplink period and the run length are settings of the config block (nce_config.h), with the
 * defaults of 1NCE's services (iot.1nce.net, udp.os.1nce.com:4445, coap.os.1nce.com:5683, 60 s).
 */
#ifndef NCE_DEMO_CONFIG_H
#define NCE_DEMO_CONFIG_H

#include "nce_config.h" /* NCE_CONFIG_FLAG_* */

/* Device Authenticator bootstrap (os_auth over CoAP): identity = ICCID and a PSK, kept in RAM. */
#ifndef NCE_DEMO_DEVICE_AUTHENTICATOR
#define NCE_DEMO_DEVICE_AUTHENTICATOR 1
#endif

/* Energy Saver (BCL) uplinks over UDP to the Device Integrator (udp.os.1nce.com:4445). */
#ifndef NCE_DEMO_UDP
#define NCE_DEMO_UDP 1
#endif

/* Energy Saver (BCL) uplinks as CoAP POST ?t=<topic> to the Device Integrator (coap.os.1nce.com). */
#ifndef NCE_DEMO_COAP
#define NCE_DEMO_COAP 1
#endif

/* The modem's AT dialect: NCE_DIALECT_AUTO identifies it at boot (AT+CGMM / ATI); a board may
 * name its modem (P-L496G-CELL02: NCE_DIALECT_BG96) in its board.cmake. */
#ifndef NCE_DEMO_MODEM_DIALECT
#define NCE_DEMO_MODEM_DIALECT NCE_DIALECT_AUTO
#endif

/* ---- derived: read by the app (nce_app_init masks the config's flags with it) --------------- */
#define NCE_APP_FLAGS_MASK                                                     \
    ((NCE_DEMO_UDP ? NCE_CONFIG_FLAG_UDP : 0u) | (NCE_DEMO_COAP ? NCE_CONFIG_FLAG_COAP : 0u) | \
     (NCE_DEMO_DEVICE_AUTHENTICATOR ? NCE_CONFIG_FLAG_BOOTSTRAP : 0u))

#endif /* NCE_DEMO_CONFIG_H */
