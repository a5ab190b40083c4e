/*
 * board.c - mps2-an385 for the bare-metal port: SysTick at 1 ms, CMSDK APB UART0 (console,
 * polled TX) and UART1 (modem, RX interrupt into a ring buffer), NVIC priorities for the core's
 * 3 bits, the config block, semihosting exit, and the nce_platform.h functions.
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "nce_config.h"
#include "nce_platform.h"

typedef struct {
    volatile uint32_t data;
    volatile uint32_t state;
    volatile uint32_t ctrl;
    volatile uint32_t intstatus; /* read: status, write 1: clear */
    volatile uint32_t bauddiv;
} cmsdk_uart_t;

#define UART0 ((cmsdk_uart_t *)0x40004000u)
#define UART1 ((cmsdk_uart_t *)0x40005000u)

#define UART_STATE_TX_FULL 0x01u
#define UART_STATE_RX_FULL 0x02u
#define UART_STATE_TX_OVERRUN 0x04u
#define UART_STATE_RX_OVERRUN 0x08u
#define UART_CTRL_TX_EN 0x01u
#define UART_CTRL_RX_EN 0x02u
#define UART_CTRL_RX_INT_EN 0x08u
#define UART_CTRL_RX_OVERRUN_INT_EN 0x20u
#define UART_INT_RX 0x02u
#define UART_INT_RX_OVERRUN 0x08u

#define UART1_RX_IRQ 2u
#define UART_OVERRUN_IRQ 12u
#define UART_BAUD 115200u

#define NVIC_ISER ((volatile uint32_t *)0xE000E100u)
#define NVIC_ICPR ((volatile uint32_t *)0xE000E280u)
#define NVIC_IPR ((volatile uint8_t *)0xE000E400u)
#define SCB_SHPR3 (*(volatile uint32_t *)0xE000ED20u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#if (BOARD_MODEM_RX_BUFFER & (BOARD_MODEM_RX_BUFFER - 1u)) != 0u
#error "BOARD_MODEM_RX_BUFFER must be a power of two"
#endif

static volatile uint32_t s_ticks_ms;
static volatile uint32_t s_rx_head; /* written by the ISR only */
static volatile uint32_t s_rx_tail; /* written by the reader only */
static volatile uint32_t s_rx_dropped;
static uint8_t s_rx[BOARD_MODEM_RX_BUFFER];
static uint32_t s_random;

/* The config block: erased (0xFF) until `hil image stamp` writes one into the image. */
#define FF4 0xFFu, 0xFFu, 0xFFu, 0xFFu
#define FF16 FF4, FF4, FF4, FF4
#define FF64 FF16, FF16, FF16, FF16
__attribute__((section(".nce_config"), used)) static const uint8_t s_config_block[NCE_CONFIG_BLOCK_SIZE] = {
    FF64, FF64, FF64, FF64};

static uint8_t priority_byte(uint32_t priority)
{
    /* Only the top BOARD_PRIO_BITS bits of a priority byte exist on this core. */
    return (uint8_t)(priority << (8u - BOARD_PRIO_BITS));
}

static void nvic_enable(uint32_t irq, uint32_t priority)
{
    NVIC_IPR[irq] = priority_byte(priority);
    NVIC_ICPR[irq / 32u] = 1u << (irq % 32u);
    NVIC_ISER[irq / 32u] = 1u << (irq % 32u);
}

static void uart_init(cmsdk_uart_t *uart)
{
    uart->ctrl = 0u;
    uart->bauddiv = BOARD_CPU_CLOCK_HZ / UART_BAUD; /* >= 16, as the UART requires */
    uart->intstatus = 0x0Fu;
    uart->state = UART_STATE_TX_OVERRUN | UART_STATE_RX_OVERRUN; /* write 1 clears */
    uart->ctrl = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
}

void board_init(void)
{
    uart_init(UART0);
    uart_init(UART1);
    /* SysTick: 1 ms from the core clock. */
    SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | ((uint32_t)priority_byte(BOARD_SYSTICK_PRIORITY) << 24);
    SYST_RVR = BOARD_CPU_CLOCK_HZ / 1000u - 1u;
    SYST_CVR = 0u;
    SYST_CSR = 0x7u; /* processor clock, interrupt, enable */
    /* Drop what arrived before anyone listened, then take modem bytes by interrupt. */
    while ((UART1->state & UART_STATE_RX_FULL) != 0u) {
        (void)UART1->data;
    }
    UART1->intstatus = UART_INT_RX | UART_INT_RX_OVERRUN;
    UART1->ctrl |= UART_CTRL_RX_INT_EN | UART_CTRL_RX_OVERRUN_INT_EN;
    nvic_enable(UART1_RX_IRQ, BOARD_UART_IRQ_PRIORITY);
    nvic_enable(UART_OVERRUN_IRQ, BOARD_UART_IRQ_PRIORITY);
}

void board_systick_handler(void)
{
    s_ticks_ms++;
}

void board_uart1_rx_handler(void)
{
    UART1->intstatus = UART_INT_RX;
    while ((UART1->state & UART_STATE_RX_FULL) != 0u) {
        uint8_t byte = (uint8_t)UART1->data;
        uint32_t head = s_rx_head;

        if (head - s_rx_tail >= BOARD_MODEM_RX_BUFFER) {
            s_rx_dropped++; /* full: the AT layer sees the gap as garbage and recovers */
            continue;
        }
        s_rx[head & (BOARD_MODEM_RX_BUFFER - 1u)] = byte;
        s_rx_head = head + 1u;
    }
}

void board_uart_overrun_handler(void)
{
    if ((UART1->state & UART_STATE_RX_OVERRUN) != 0u) {
        UART1->state = UART_STATE_RX_OVERRUN;
        s_rx_dropped++;
    }
    UART1->intstatus = UART_INT_RX_OVERRUN;
    UART0->intstatus = UART_INT_RX_OVERRUN;
    UART0->state = UART_STATE_RX_OVERRUN | UART_STATE_TX_OVERRUN;
}

uint32_t board_modem_rx_dropped(void)
{
    return s_rx_dropped;
}

static void uart_put(cmsdk_uart_t *uart, const uint8_t *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        while ((uart->state & UART_STATE_TX_FULL) != 0u) {
        }
        uart->data = data[i];
    }
}

/* ---- nce_platform.h ---------------------------------------------------------------------- */

uint32_t nce_platform_now_ms(void)
{
    return s_ticks_ms;
}

void nce_platform_sleep_ms(uint32_t ms)
{
    uint32_t start = s_ticks_ms;

    while (s_ticks_ms - start < ms) {
        __asm__ volatile("wfi");
    }
}

int nce_platform_modem_write(const uint8_t *data, size_t len)
{
    uart_put(UART1, data, len);
    return (int)len;
}

int nce_platform_modem_read(uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    uint32_t start = s_ticks_ms;
    size_t n = 0;

    while (s_rx_head == s_rx_tail) {
        if (s_ticks_ms - start >= timeout_ms) {
            return 0;
        }
        __asm__ volatile("wfi"); /* SysTick or UART1 RX wakes the core */
    }
    while (n < cap && s_rx_tail != s_rx_head) {
        uint32_t tail = s_rx_tail;

        buf[n++] = s_rx[tail & (BOARD_MODEM_RX_BUFFER - 1u)];
        s_rx_tail = tail + 1u;
    }
    return (int)n;
}

void nce_platform_console_write(const char *text, size_t len)
{
    uart_put(UART0, (const uint8_t *)text, len);
}

const uint8_t *nce_platform_config_block(void)
{
    return s_config_block;
}

uint32_t nce_platform_random(void)
{
    /* No RNG on this board: xorshift32 seeded by the SysTick phase and the time of the first call. */
    if (s_random == 0u) {
        s_random = (SYST_CVR << 8) ^ s_ticks_ms ^ 0x9E3779B9u;
        if (s_random == 0u) {
            s_random = 0x9E3779B9u;
        }
    }
    s_random ^= s_random << 13;
    s_random ^= s_random >> 17;
    s_random ^= s_random << 5;
    return s_random;
}

/* Semihosting SYS_EXIT_EXTENDED (0x20), ADP_Stopped_ApplicationExit: QEMU exits with status. On
 * hardware without a debugger the BKPT faults; the loop below is then never left either. */
void nce_platform_exit(int status)
{
    static uint32_t block[2];
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)block;

    block[0] = 0x20026u;
    block[1] = (uint32_t)status;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
    }
}

void board_fatal(const char *cause, const char *where)
{
    static const char head[] = "0 E error cause=";
    static const char mid[] = " where=";
    size_t n;

    uart_put(UART0, (const uint8_t *)head, sizeof head - 1u);
    for (n = 0; cause[n] != '\0'; n++) {
    }
    uart_put(UART0, (const uint8_t *)cause, n);
    uart_put(UART0, (const uint8_t *)mid, sizeof mid - 1u);
    for (n = 0; where[n] != '\0'; n++) {
    }
    uart_put(UART0, (const uint8_t *)where, n);
    uart_put(UART0, (const uint8_t *)"\n", 1u);
    nce_platform_exit(2);
}
