/*
 * nce_zephyr.h - what the Zephyr port's files share (nce_platform.h is the app's side).
 */
#ifndef NCE_ZEPHYR_H
#define NCE_ZEPHYR_H

#include <stdint.h>

#include "nce_app.h"

/* Console device ready, modem UART interrupt-driven RX armed (when the link is the AT UART).
 * Returns 0, or a negative errno when a device is not ready. Called once by main(). */
int nce_zephyr_platform_init(void);

#if defined(CONFIG_NCE_LINK_AT_UART)
/* Bytes the modem UART's ISR dropped because the ring buffer was full. */
uint32_t nce_zephyr_modem_rx_dropped(void);
int nce_zephyr_modem_uart_init(void);
#endif

#if defined(CONFIG_NCE_LINK_OFFLOADED)
/* Fills `link` with the nRF91 link over the nRF modem library (offloaded sockets, LTE link
 * control, SMS library when CONFIG_SMS). */
void nce_zephyr_link_offload(nce_link_t *link);
#endif

/* Hands a configuration text ("interval=30") to the modem thread from any thread; waits up to
 * timeout_ms for room. 0 queued, -1 NULL or too long, -2 inbox full. */
int nce_zephyr_configure(const char *text, uint32_t timeout_ms);

#define NCE_ZEPHYR_CONFIG_TEXT_MAX 160u

#endif /* NCE_ZEPHYR_H */
