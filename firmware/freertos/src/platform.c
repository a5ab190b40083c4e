/*
 * platform.c - nce_platform.h over FreeRTOS.
 *
 * Time is the tick count (1 kHz, so it wraps like a 32-bit millisecond counter); sleeping is
 * vTaskDelay; modem bytes arrive through the board's RX ISR into a stream buffer that the modem
 * task (its one reader) drains; console lines are serialised by a mutex so that lines of
 * different tasks never interleave.
 */
#include <stddef.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "semphr.h"
#include "stream_buffer.h"
#include "task.h"

#include "nce_board.h"
#include "nce_platform.h"
#include "nce_port.h"

#if configTICK_RATE_HZ != 1000
#error "nce_platform_now_ms() is the tick count: configTICK_RATE_HZ must be 1000"
#endif

static StaticStreamBuffer_t s_modem_rx_control;
static uint8_t s_modem_rx_storage[NCE_PORT_MODEM_RX_BUFFER + 1u];
static StreamBufferHandle_t s_modem_rx;
static volatile uint32_t s_modem_rx_dropped;

static StaticSemaphore_t s_console_control;
static SemaphoreHandle_t s_console;

static uint32_t s_random_state;

void nce_port_init(void)
{
    nce_board_init();
    /* Trigger level 1: a reader wakes as soon as one byte is there. */
    s_modem_rx = xStreamBufferCreateStatic(sizeof s_modem_rx_storage - 1u, 1u, s_modem_rx_storage,
                                           &s_modem_rx_control);
    s_console = xSemaphoreCreateMutexStatic(&s_console_control);
    configASSERT(s_modem_rx != NULL && s_console != NULL);
    nce_board_modem_rx_enable();
}

void nce_port_modem_rx_from_isr(const uint8_t *data, size_t len)
{
    BaseType_t woken = pdFALSE;
    size_t queued = xStreamBufferSendFromISR(s_modem_rx, data, len, &woken);

    if (queued < len) {
        s_modem_rx_dropped += (uint32_t)(len - queued);
    }
    portYIELD_FROM_ISR(woken);
}

uint32_t nce_port_modem_rx_dropped(void)
{
    return s_modem_rx_dropped;
}

uint32_t nce_port_ms_to_ticks(uint32_t ms)
{
    uint64_t ticks = ((uint64_t)ms * configTICK_RATE_HZ + 999u) / 1000u;

    return ticks >= (uint64_t)portMAX_DELAY ? (uint32_t)portMAX_DELAY - 1u : (uint32_t)ticks;
}

static int scheduler_running(void)
{
    return xTaskGetSchedulerState() == taskSCHEDULER_RUNNING;
}

uint32_t nce_platform_now_ms(void)
{
    /* configTICK_RATE_HZ is 1000: one tick is one millisecond. */
    return xPortIsInsideInterrupt() ? (uint32_t)xTaskGetTickCountFromISR() : (uint32_t)xTaskGetTickCount();
}

void nce_platform_sleep_ms(uint32_t ms)
{
    if (ms == 0u) {
        taskYIELD();
        return;
    }
    /* +1: the current tick is already partly over, and the caller asked for at least ms. */
    vTaskDelay((TickType_t)nce_port_ms_to_ticks(ms) + 1u);
}

int nce_platform_modem_write(const uint8_t *data, size_t len)
{
    if (data == NULL && len > 0u) {
        return -1;
    }
    return nce_board_modem_write(data, len);
}

int nce_platform_modem_read(uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    size_t n;

    if (buf == NULL || cap == 0u) {
        return -1;
    }
    n = xStreamBufferReceive(s_modem_rx, buf, cap, (TickType_t)nce_port_ms_to_ticks(timeout_ms));
    return (int)n;
}

void nce_platform_console_write(const char *text, size_t len)
{
    if (text == NULL || len == 0u) {
        return;
    }
    if (!scheduler_running() || xPortIsInsideInterrupt()) {
        nce_board_console_write(text, len); /* no other task can run: nothing to interleave with */
        return;
    }
    (void)xSemaphoreTake(s_console, portMAX_DELAY);
    nce_board_console_write(text, len);
    (void)xSemaphoreGive(s_console);
}

const uint8_t *nce_platform_config_block(void)
{
    return nce_board_config_block();
}

uint32_t nce_platform_random(void)
{
    uint32_t x;

    taskENTER_CRITICAL();
    if (s_random_state == 0u) {
        s_random_state = nce_board_entropy() ^ (uint32_t)xTaskGetTickCount();
        if (s_random_state == 0u) {
            s_random_state = 0x6D2B79F5u;
        }
    }
    /* xorshift32: enough for back-off jitter, not for cryptography. */
    x = s_random_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s_random_state = x;
    taskEXIT_CRITICAL();
    return x;
}

void nce_platform_exit(int status)
{
    /* Let other tasks' console lines out first: take the console, never give it back. */
    if (scheduler_running() && !xPortIsInsideInterrupt()) {
        (void)xSemaphoreTake(s_console, nce_port_ms_to_ticks(1000u));
    }
    nce_board_exit(status);
}
