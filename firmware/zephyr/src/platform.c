/*
 * platform.c - nce_platform.h over Zephyr: time (k_uptime), sleep (k_msleep), console lines on
 * the chosen console UART (whole lines under a mutex, so threads never interleave), back-off
 * jitter (sys_rand32_get where the board has an entropy driver) and the exit at the end of a
 * bounded run. The modem UART is modem_uart.c; the config block is config_block.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <zephyr/device.h>
#include <zephyr/drivers/uart.h>
#include <zephyr/kernel.h>
#if defined(CONFIG_ENTROPY_HAS_DRIVER)
#include <zephyr/random/random.h>
#endif
#if defined(CONFIG_NCE_EXIT_REBOOT)
#include <zephyr/sys/reboot.h>
#endif

#include "nce_platform.h"
#include "nce_zephyr.h"

static const struct device *const s_console = DEVICE_DT_GET(DT_CHOSEN(zephyr_console));
static K_MUTEX_DEFINE(s_console_lock);
static uint8_t s_console_ready;

int nce_zephyr_platform_init(void)
{
    if (!device_is_ready(s_console)) {
        return -ENODEV;
    }
    s_console_ready = 1u;
#if defined(CONFIG_NCE_LINK_AT_UART)
    return nce_zephyr_modem_uart_init();
#else
    return 0;
#endif
}

uint32_t nce_platform_now_ms(void)
{
    return k_uptime_get_32();
}

void nce_platform_sleep_ms(uint32_t ms)
{
    if (ms == 0u) {
        k_yield();
        return;
    }
    /* k_msleep takes an int32_t: the app's longest wait (the 300 s back-off ceiling) fits. */
    (void)k_msleep(ms > (uint32_t)INT32_MAX ? INT32_MAX : (int32_t)ms);
}

/* Raw bytes, as the other ports write them (lines end in LF). */
static void console_put(const char *text, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        uart_poll_out(s_console, (unsigned char)text[i]);
    }
}

void nce_platform_console_write(const char *text, size_t len)
{
    if (text == NULL || len == 0u || !s_console_ready) {
        return;
    }
    if (k_is_in_isr()) {
        console_put(text, len); /* no mutex in an ISR; a line may then interleave */
        return;
    }
    (void)k_mutex_lock(&s_console_lock, K_FOREVER);
    console_put(text, len);
    (void)k_mutex_unlock(&s_console_lock);
}

#if !defined(CONFIG_ENTROPY_HAS_DRIVER)
static uint32_t s_random_state;
static struct k_spinlock s_random_lock;
#endif

uint32_t nce_platform_random(void)
{
#if defined(CONFIG_ENTROPY_HAS_DRIVER)
    return sys_rand32_get();
#else
    /* No entropy driver (mps2/an385 in QEMU): xorshift32 seeded from the cycle counter. Enough
     * for back-off jitter, which is all the app uses it for. */
    k_spinlock_key_t key = k_spin_lock(&s_random_lock);
    uint32_t x;

    if (s_random_state == 0u) {
        s_random_state = k_cycle_get_32() ^ k_uptime_get_32() ^ 0x6D2B79F5u;
        if (s_random_state == 0u) {
            s_random_state = 0x6D2B79F5u;
        }
    }
    x = s_random_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s_random_state = x;
    k_spin_unlock(&s_random_lock, key);
    return x;
#endif
}

#if defined(CONFIG_NCE_EXIT_SEMIHOSTING)
/* Semihosting SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit: QEMU (-semihosting)
 * exits with `status`, as the bare-metal and FreeRTOS ports do. Without a debugger the BKPT
 * faults, so this is chosen only for QEMU boards (boards/mps2_an385.conf). */
static void semihosting_exit(int status)
{
    static uint32_t block[2];
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)block;

    block[0] = 0x20026u;
    block[1] = (uint32_t)status;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}
#endif

void nce_platform_exit(int status)
{
    /* Lines of other threads go out first: take the console and keep it. */
    if (s_console_ready && !k_is_in_isr()) {
        (void)k_mutex_lock(&s_console_lock, K_MSEC(1000));
    }
#if defined(CONFIG_NCE_EXIT_SEMIHOSTING)
    semihosting_exit(status);
#elif defined(CONFIG_NCE_EXIT_REBOOT)
    (void)status;
    sys_reboot(SYS_REBOOT_COLD);
#else
    (void)status;
#endif
    for (;;) {
        k_sleep(K_FOREVER); /* halted: the status was logged on the "done" line */
    }
}
