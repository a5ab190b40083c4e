/*
 * nce_port.h - the FreeRTOS port's own API (beside nce_platform.h, which it implements).
 */
#ifndef NCE_PORT_H
#define NCE_PORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes the modem RX stream buffer holds between two reads of the modem task. */
#ifndef NCE_PORT_MODEM_RX_BUFFER
#define NCE_PORT_MODEM_RX_BUFFER 1024u
#endif

/* Board and port objects (stream buffer, console mutex); before vTaskStartScheduler(). */
void nce_port_init(void);

/* Bytes the modem RX ISR had to drop because the stream buffer was full, since boot. */
uint32_t nce_port_modem_rx_dropped(void);

/* Milliseconds to ticks, rounded up and clamped below portMAX_DELAY (which means forever). */
uint32_t nce_port_ms_to_ticks(uint32_t ms);

/* One log line in the console format "<ms> <level> <event> <fields>\n", written without the
 * console mutex (usable from fault handlers and before the scheduler runs). */
void nce_port_log_raw(char level, const char *event, const char *fields);

/* Decimal text of value into out (>= 11 bytes); returns the length. */
size_t nce_port_u32_text(char *out, uint32_t value);

#ifdef __cplusplus
}
#endif

#endif /* NCE_PORT_H */
