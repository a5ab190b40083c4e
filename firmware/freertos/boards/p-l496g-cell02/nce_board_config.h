/*
 * nce_board_config.h - P-L496G-CELL02 facts the kernel configuration needs (STM32L496AG,
 * Cortex-M4F at 80 MHz from MSI + PLL, 4 NVIC priority bits).
 */
#ifndef NCE_BOARD_CONFIG_H
#define NCE_BOARD_CONFIG_H

#define NCE_BOARD_CPU_CLOCK_HZ 80000000u
#define NCE_BOARD_PRIO_BITS 4 /* __NVIC_PRIO_BITS of the STM32L4 */
/* Priorities 5..15 may call FromISR APIs; 0..4 are never masked by the kernel. */
#define NCE_BOARD_MAX_SYSCALL_PRIORITY 5
#define NCE_BOARD_UART_IRQ_PRIORITY 6

/* The CMSIS startup file of STM32CubeL4 (startup_stm32l496xx.s) names the core handlers
 * SVC_Handler / PendSV_Handler / SysTick_Handler: the kernel's handlers take those names, so the
 * vector table holds them directly (configCHECK_HANDLER_INSTALLATION checks it). */
#define vPortSVCHandler SVC_Handler
#define xPortPendSVHandler PendSV_Handler
#define xPortSysTickHandler SysTick_Handler

#endif /* NCE_BOARD_CONFIG_H */
