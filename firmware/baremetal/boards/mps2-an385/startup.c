/*
 * startup.c - reset and vector table of the bare-metal image on mps2-an385 (Cortex-M3).
 *
 * Written for hardware: Reset_Handler copies .data from its load address in code memory and
 * zeroes .bss (a .bin-loaded or flashed image gets no help from an ELF loader), points VTOR at
 * this table, then calls main().
 */
#include <stdint.h>

#include "board.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

int main(void);
void Reset_Handler(void);
void HardFault_Handler(void);
void board_hardfault(const uint32_t *frame);
void board_default_handler(void);

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)

void Reset_Handler(void)
{
    const uint32_t *src = &_sidata;
    uint32_t *dst;

    for (dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0u;
    }
    SCB_VTOR = 0x00000000u; /* this table, wherever a bootloader left VTOR */
    (void)main();
    board_fatal("main_returned", "startup");
}

/* Finds the stacked exception frame and hands it to C. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b board_hardfault\n");
}

static void hex32(char *out, uint32_t value)
{
    static const char digits[] = "0123456789abcdef";
    int i;

    for (i = 7; i >= 0; i--) {
        out[i] = digits[value & 0xFu];
        value >>= 4;
    }
}

void board_hardfault(const uint32_t *frame)
{
    /* where=pc:0x........,cfsr:0x........ (frame[6] is the stacked PC) */
    char where[] = "pc:0x00000000,cfsr:0x00000000";

    hex32(&where[5], frame[6]);
    hex32(&where[21], SCB_CFSR);
    board_fatal("hardfault", where);
}

void board_default_handler(void)
{
    board_fatal("unexpected_interrupt", "vector");
}

typedef void (*vector_t)(void);

/* 16 core exceptions + the 32 interrupts of AN385 (UARTn RX = 2n, TX = 2n+1, 12 = the UARTs'
 * combined overrun interrupt). */
__attribute__((section(".isr_vector"), used)) static const vector_t vectors[16 + 32] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    board_default_handler, /* NMI */
    HardFault_Handler,
    board_default_handler, /* MemManage */
    board_default_handler, /* BusFault */
    board_default_handler, /* UsageFault */
    0,
    0,
    0,
    0,
    board_default_handler, /* SVCall */
    board_default_handler, /* DebugMon */
    0,
    board_default_handler, /* PendSV */
    board_systick_handler,
    /* IRQ 0..31 */
    board_default_handler,      /* 0 UART0 RX (console input unused) */
    board_default_handler,      /* 1 UART0 TX */
    board_uart1_rx_handler,     /* 2 UART1 RX: the modem */
    board_default_handler,      /* 3 UART1 TX */
    board_default_handler, board_default_handler, board_default_handler, board_default_handler,
    board_default_handler, board_default_handler, board_default_handler, board_default_handler,
    board_uart_overrun_handler, /* 12 UART overrun (combined) */
    board_default_handler, board_default_handler, board_default_handler, board_default_handler,
    board_default_handler, board_default_handler, board_default_handler, board_default_handler,
    board_default_handler, board_default_handler, board_default_handler, board_default_handler,
    board_default_handler, board_default_handler, board_default_handler, board_default_handler,
    board_default_handler, board_default_handler, board_default_handler,
};
