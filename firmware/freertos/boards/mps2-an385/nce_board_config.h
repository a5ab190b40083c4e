/*
 * nce_board_config.h - mps2-an385 facts the kernel configuration needs (Cortex-M3, 25 MHz).
 *
 * The AN385 Cortex-M3 implements 3 NVIC priority bits (QEMU models 8 and would accept any value:
 * the numbers below are right for the hardware).
 */
#ifndef NCE_BOARD_CONFIG_H
#define NCE_BOARD_CONFIG_H

#define NCE_BOARD_CPU_CLOCK_HZ 25000000u
#define NCE_BOARD_PRIO_BITS 3
/* Priorities 5..7 may call FromISR APIs; 0..4 are never masked by the kernel. */
#define NCE_BOARD_MAX_SYSCALL_PRIORITY 5
#define NCE_BOARD_UART_IRQ_PRIORITY 6

#endif /* NCE_BOARD_CONFIG_H */
