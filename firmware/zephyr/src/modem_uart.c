/*
 * modem_uart.c - the modem UART of nce_platform.h over Zephyr's UART API: interrupt-driven RX
 * into a ring buffer (the ISR is the one producer, the modem thread the one consumer) with a
 * semaphore that wakes the reader, and polled TX. The UART is the devicetree's chosen
 * "nce,modem-uart" (boards/<board>.overlay), e.g. uart1 on mps2/an385.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <zephyr/device.h>
#include <zephyr/drivers/uart.h>
#include <zephyr/kernel.h>
#include <zephyr/sys/ring_buffer.h>

#include "nce_platform.h"
#include "nce_zephyr.h"

#if !DT_HAS_CHOSEN(nce_modem_uart)
#error "CONFIG_NCE_LINK_AT_UART needs a chosen nce,modem-uart node (see boards/mps2_an385.overlay)"
#endif

static const struct device *const s_modem = DEVICE_DT_GET(DT_CHOSEN(nce_modem_uart));

RING_BUF_DECLARE(s_modem_rx, CONFIG_NCE_MODEM_RX_BUFFER_SIZE);
static struct k_spinlock s_modem_rx_lock;
/* Given by the ISR when bytes arrived; a limit of 1 is enough, the reader drains all. */
static K_SEM_DEFINE(s_modem_rx_ready, 0, 1);
static volatile uint32_t s_modem_rx_dropped;

static void modem_uart_isr(const struct device *dev, void *user_data)
{
    uint8_t chunk[32];
    int got_any = 0;

    ARG_UNUSED(user_data);
    if (!uart_irq_update(dev)) {
        return;
    }
    while (uart_irq_rx_ready(dev)) {
        int n = uart_fifo_read(dev, chunk, (int)sizeof chunk);
        k_spinlock_key_t key;
        uint32_t queued;

        if (n <= 0) {
            break;
        }
        key = k_spin_lock(&s_modem_rx_lock);
        queued = ring_buf_put(&s_modem_rx, chunk, (uint32_t)n);
        k_spin_unlock(&s_modem_rx_lock, key);
        if (queued < (uint32_t)n) {
            /* Overrun is not an error for the app: the AT reader sees the gap and recovers. */
            s_modem_rx_dropped += (uint32_t)n - queued;
        }
        got_any = 1;
    }
    if (got_any) {
        k_sem_give(&s_modem_rx_ready);
    }
}

int nce_zephyr_modem_uart_init(void)
{
    if (!device_is_ready(s_modem)) {
        return -ENODEV;
    }
    (void)uart_irq_callback_user_data_set(s_modem, modem_uart_isr, NULL);
    uart_irq_rx_enable(s_modem);
    return 0;
}

uint32_t nce_zephyr_modem_rx_dropped(void)
{
    return s_modem_rx_dropped;
}

int nce_platform_modem_write(const uint8_t *data, size_t len)
{
    size_t i;

    if (data == NULL && len > 0u) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        uart_poll_out(s_modem, data[i]);
    }
    return (int)len;
}

static uint32_t take_buffered(uint8_t *buf, size_t cap)
{
    k_spinlock_key_t key = k_spin_lock(&s_modem_rx_lock);
    uint32_t n = ring_buf_get(&s_modem_rx, buf, (uint32_t)cap); /* size_t is 32 bits here */

    k_spin_unlock(&s_modem_rx_lock, key);
    return n;
}

int nce_platform_modem_read(uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    uint32_t start = k_uptime_get_32();

    if (buf == NULL || cap == 0u) {
        return -1;
    }
    for (;;) {
        uint32_t n = take_buffered(buf, cap);
        uint32_t waited;

        if (n > 0u) {
            return (int)n;
        }
        waited = k_uptime_get_32() - start;
        if (waited >= timeout_ms) {
            return 0;
        }
        /* A give may be stale (bytes already taken): the loop checks the buffer again. */
        (void)k_sem_take(&s_modem_rx_ready, K_MSEC(timeout_ms - waited));
    }
}
