/*
 * board.h - mps2-an385 board support of the bare-metal port (Cortex-M3, 25 MHz).
 */
#ifndef NCE_BAREMETAL_BOARD_H
#define NCE_BAREMETAL_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define BOARD_CPU_CLOCK_HZ 25000000u
/* The AN385 Cortex-M3 implements 3 NVIC priority bits (QEMU models 8 and accepts anything). */
#define BOARD_PRIO_BITS 3u
#define BOARD_SYSTICK_PRIORITY 2u
#define BOARD_UART_IRQ_PRIORITY 3u

/* Modem RX ring buffer (power of two). */
#ifndef BOARD_MODEM_RX_BUFFER
#define BOARD_MODEM_RX_BUFFER 2048u
#endif

void board_init(void);
void board_systick_handler(void);
void board_uart1_rx_handler(void);
void board_uart_overrun_handler(void);
/* Bytes lost to a full ring buffer or a UART overrun since boot. */
uint32_t board_modem_rx_dropped(void);
/* A fatal error: one "error" console line, then exit status 2 (never returns). */
void board_fatal(const char *cause, const char *where);

#endif /* NCE_BAREMETAL_BOARD_H */
