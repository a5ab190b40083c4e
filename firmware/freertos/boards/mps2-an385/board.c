/*
 * board.c - mps2-an385 board support for the FreeRTOS port: CMSDK APB UARTs (UART0 console,
 * polled; UART1 modem, RX interrupt-driven), NVIC set-up for 3 priority bits, semihosting exit.
 */
#include <stddef.h>
#include <stdint.h>

#include "nce_board.h"
#include "nce_board_config.h"
#include "nce_config.h"

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
#define UART_OVERFLOW_IRQ 12u

#define NVIC_ISER ((volatile uint32_t *)0xE000E100u)
#define NVIC_ICPR ((volatile uint32_t *)0xE000E280u)
#define NVIC_IPR ((volatile uint8_t *)0xE000E400u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#define BAUD 115200u

#if NCE_BOARD_UART_IRQ_PRIORITY < NCE_BOARD_MAX_SYSCALL_PRIORITY || \
    NCE_BOARD_UART_IRQ_PRIORITY >= (1 << NCE_BOARD_PRIO_BITS)
#error "NCE_BOARD_UART_IRQ_PRIORITY must lie in [max syscall priority, lowest priority]"
#endif

void nce_board_uart1_rx_handler(void);
void nce_board_uart_overflow_handler(void);

static volatile uint32_t s_rx_errors;

/* The config block: erased (0xFF) until `hil image stamp` writes one into the image. */
#define FF4 0xFFu, 0xFFu, 0xFFu, 0xFFu
#define FF16 FF4, FF4, FF4, FF4
#define FF64 FF16, FF16, FF16, FF16
__attribute__((section(".nce_config"), used)) static const uint8_t s_config_block[NCE_CONFIG_BLOCK_SIZE] = {
    FF64, FF64, FF64, FF64};

static void nvic_set_priority(uint32_t irq, uint32_t priority)
{
    /* Only the top NCE_BOARD_PRIO_BITS bits of each priority byte are implemented. */
    NVIC_IPR[irq] = (uint8_t)(priority << (8u - NCE_BOARD_PRIO_BITS));
}

static void nvic_enable(uint32_t irq)
{
    NVIC_ICPR[irq / 32u] = 1u << (irq % 32u);
    NVIC_ISER[irq / 32u] = 1u << (irq % 32u);
}

static void uart_init(cmsdk_uart_t *uart)
{
    uart->ctrl = 0u;
    uart->bauddiv = NCE_BOARD_CPU_CLOCK_HZ / BAUD; /* >= 16 is required by the UART */
    uart->intstatus = 0x0Fu;
    uart->state = UART_STATE_TX_OVERRUN | UART_STATE_RX_OVERRUN; /* write 1 clears */
    uart->ctrl = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
}

void nce_board_init(void)
{
    uart_init(UART0);
    uart_init(UART1);
    nvic_set_priority(UART1_RX_IRQ, NCE_BOARD_UART_IRQ_PRIORITY);
    nvic_set_priority(UART_OVERFLOW_IRQ, NCE_BOARD_UART_IRQ_PRIORITY);
}

void nce_board_modem_rx_enable(void)
{
    /* Drop what arrived before anyone listened (a boot banner is sent again on sync). */
    while ((UART1->state & UART_STATE_RX_FULL) != 0u) {
        (void)UART1->data;
    }
    UART1->intstatus = UART_INT_RX | UART_INT_RX_OVERRUN;
    UART1->ctrl |= UART_CTRL_RX_INT_EN | UART_CTRL_RX_OVERRUN_INT_EN;
    nvic_enable(UART1_RX_IRQ);
    nvic_enable(UART_OVERFLOW_IRQ);
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

void nce_board_console_write(const char *text, size_t len)
{
    uart_put(UART0, (const uint8_t *)text, len);
}

int nce_board_modem_write(const uint8_t *data, size_t len)
{
    uart_put(UART1, data, len);
    return (int)len;
}

uint32_t nce_board_modem_rx_errors(void)
{
    return s_rx_errors;
}

void nce_board_uart1_rx_handler(void)
{
    uint8_t chunk[16];
    size_t n = 0;

    UART1->intstatus = UART_INT_RX;
    /* The CMSDK UART holds one byte; drain whatever is there, in chunks. */
    while ((UART1->state & UART_STATE_RX_FULL) != 0u) {
        chunk[n++] = (uint8_t)UART1->data;
        if (n == sizeof chunk) {
            nce_port_modem_rx_from_isr(chunk, n);
            n = 0;
        }
    }
    if (n > 0) {
        nce_port_modem_rx_from_isr(chunk, n);
    }
}

void nce_board_uart_overflow_handler(void)
{
    /* A byte was lost: the AT layer sees the gap as garbage and recovers; count it. */
    if ((UART1->state & UART_STATE_RX_OVERRUN) != 0u) {
        UART1->state = UART_STATE_RX_OVERRUN;
        s_rx_errors++;
    }
    UART1->intstatus = UART_INT_RX_OVERRUN;
    UART0->intstatus = UART_INT_RX_OVERRUN;
    UART0->state = UART_STATE_RX_OVERRUN | UART_STATE_TX_OVERRUN;
}

const uint8_t *nce_board_config_block(void)
{
    return s_config_block;
}

uint32_t nce_board_entropy(void)
{
    /* No RNG on this board: the SysTick phase at the first call (varies with boot timing). */
    return SYST_CVR ^ 0x9E3779B9u;
}

/* Semihosting SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit: QEMU exits with status. */
void nce_board_exit(int status)
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
