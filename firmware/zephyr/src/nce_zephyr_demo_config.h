/*
 * nce_zephyr_demo_config.h - the demos compiled in, from Kconfig (the Zephyr counterpart of the
 * FreeRTOS port's config/nce_demo_config.h). nce_app_init masks the config block's flags with
 * NCE_APP_FLAGS_MASK, so a demo switched off here never runs, whatever the block says.
 */
#ifndef NCE_ZEPHYR_DEMO_CONFIG_H
#define NCE_ZEPHYR_DEMO_CONFIG_H

#include "nce_config.h" /* NCE_CONFIG_FLAG_* */

#if defined(CONFIG_NCE_UDP_UPLINKS)
#define NCE_ZEPHYR_FLAG_UDP NCE_CONFIG_FLAG_UDP
#else
#define NCE_ZEPHYR_FLAG_UDP 0u
#endif
#if defined(CONFIG_NCE_COAP_UPLINKS)
#define NCE_ZEPHYR_FLAG_COAP NCE_CONFIG_FLAG_COAP
#else
#define NCE_ZEPHYR_FLAG_COAP 0u
#endif
#if defined(CONFIG_NCE_DEVICE_AUTHENTICATOR)
#define NCE_ZEPHYR_FLAG_BOOTSTRAP NCE_CONFIG_FLAG_BOOTSTRAP
#else
#define NCE_ZEPHYR_FLAG_BOOTSTRAP 0u
#endif

#define NCE_APP_FLAGS_MASK (NCE_ZEPHYR_FLAG_UDP | NCE_ZEPHYR_FLAG_COAP | NCE_ZEPHYR_FLAG_BOOTSTRAP)

#endif /* NCE_ZEPHYR_DEMO_CONFIG_H */
