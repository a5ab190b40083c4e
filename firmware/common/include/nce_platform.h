/*
 * nce_platform.h - what the firmware app needs from the board and the OS.
 *
 * Each port (firmware/baremetal, firmware/freertos, firmware/zephyr) implements these functions
 * once; firmware/common calls nothing else that is board- or OS-specific. All functions may be
 * called only from the task that runs the app's modem loop unless stated otherwise.
 */
#ifndef NCE_PLATFORM_H
#define NCE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Milliseconds since boot; wraps after ~49 days (callers compare with unsigned subtraction). */
uint32_t nce_platform_now_ms(void);

/* Block the calling task for at least `ms` milliseconds (other tasks run meanwhile). */
void nce_platform_sleep_ms(uint32_t ms);

/* Modem UART: write all `len` bytes; returns len, or a negative value on a hardware error. */
int nce_platform_modem_write(const uint8_t *data, size_t len);

/* Modem UART: wait up to `timeout_ms` for at least one byte, then return what is buffered (at
 * most `cap` bytes). Returns the byte count, 0 on timeout, negative on a hardware error
 * (overrun is not an error: the AT layer sees the gap as garbage and recovers). */
int nce_platform_modem_read(uint8_t *buf, size_t cap, uint32_t timeout_ms);

/* Console: write `len` bytes of one or more complete log lines. Safe from any task. */
void nce_platform_console_write(const char *text, size_t len);

/* The raw config block at the board's fixed flash address (NCE_CONFIG_BLOCK_SIZE bytes), or NULL
 * when the board has none. The app validates magic, version and CRC itself (nce_config.h). */
const uint8_t *nce_platform_config_block(void);

/* A 32-bit value for back-off jitter (No-Harm-to-Network: randomised retry timing). Need not be
 * cryptographic; must differ between boots of different devices where the hardware allows. */
uint32_t nce_platform_random(void);

/* The app has finished (only when configured to run for a bounded time, e.g. in QEMU tests):
 * semihosting SYS_EXIT on QEMU, a reset or halt on hardware. Does not return. */
void nce_platform_exit(int status);

#ifdef __cplusplus
}
#endif

#endif /* NCE_PLATFORM_H */
