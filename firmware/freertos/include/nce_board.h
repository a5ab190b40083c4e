/*
 * nce_board.h - what the FreeRTOS port needs from a board (boards/<board>/board.c).
 *
 * The port (src/platform.c) builds nce_platform.h on top of this: it owns the RTOS objects
 * (the modem RX stream buffer, the console mutex), the board owns the registers. Every function
 * here is callable before the scheduler starts; the console write also from any context
 * (tasks, ISRs, fault handlers), because fatal errors are logged through it.
 */
#ifndef NCE_BOARD_H
#define NCE_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Clocks, console and modem UARTs (RX interrupt configured at NCE_BOARD_UART_IRQ_PRIORITY but
 * still disabled). Called once by the port before the scheduler starts. */
void nce_board_init(void);

/* Enable the modem UART's RX interrupt: from now on the board calls nce_port_modem_rx_from_isr. */
void nce_board_modem_rx_enable(void);

/* Polled transmit of all bytes; any context. */
void nce_board_console_write(const char *text, size_t len);

/* Transmit all bytes to the modem; returns len, or < 0 on a UART error. Modem task only. */
int nce_board_modem_write(const uint8_t *data, size_t len);

/* Receive errors (overruns, framing) counted by the RX ISR since boot. */
uint32_t nce_board_modem_rx_errors(void);

/* The raw 256-byte config block at the board's config address. */
const uint8_t *nce_board_config_block(void);

/* Seed material for nce_platform_random (a hardware RNG where there is one). */
uint32_t nce_board_entropy(void);

/* End the firmware: semihosting exit with status (QEMU), or a system reset (hardware). */
void nce_board_exit(int status) __attribute__((noreturn));

/* ---- provided by the port, called by the board ---------------------------------------------- */

/* The modem RX ISR hands over the bytes it read (the port queues them and yields if a task
 * waiting for them has a higher priority). */
void nce_port_modem_rx_from_isr(const uint8_t *data, size_t len);

/* A fault handler reports: "<ms> E error cause=<cause> where=<where>", then exits (status 1). */
void nce_port_fatal(const char *cause, const char *where) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* NCE_BOARD_H */
