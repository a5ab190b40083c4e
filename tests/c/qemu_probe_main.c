/*
 * qemu_probe_main.c - a tiny mps2-an385 image for the QEMU runner's tests (tests/test_fw_qemu_board.py),
 * linked with the bare-metal board support (startup.c, board.c).
 *
 * Console: "0 I probe config=<first 4 config block bytes, hex>"; the modem side gets "AT\r\n";
 * then for every line the modem UART delivers "<ms> I echo text=<line>", and a line starting
 * with a lower-case letter (but not "ok ") gets "ok <line>\r\n" back: a modem's upper-case
 * answers and its echo of "ok ..." get none, so the probe and a simulated modem never talk in a
 * loop. "exit N" ends the run with status N (semihosting); "hang" (echoed) stops reading.
 * No modem byte for 3 s: exit status 3.
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "nce_platform.h"

static void put(const char *text)
{
    size_t n = 0;

    while (text[n] != '\0') {
        n++;
    }
    nce_platform_console_write(text, n);
}

static void put_u32(uint32_t value)
{
    char digits[11];
    size_t i = sizeof digits - 1u;

    digits[i] = '\0';
    do {
        digits[--i] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u && i > 0u);
    put(&digits[i]);
}

static int starts_with(const char *text, const char *prefix)
{
    while (*prefix != '\0') {
        if (*text++ != *prefix++) {
            return 0;
        }
    }
    return 1;
}

int main(void)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *block;
    char line[96];
    char code[9];
    size_t used = 0;
    size_t i;

    board_init();
    block = nce_platform_config_block();
    for (i = 0; i < 4u; i++) {
        code[2u * i] = hex[block[i] >> 4];
        code[2u * i + 1u] = hex[block[i] & 0x0Fu];
    }
    code[8] = '\0';
    put("0 I probe config=");
    put(code);
    put("\n");
    nce_platform_modem_write((const uint8_t *)"AT\r\n", 4u);
    for (;;) {
        uint8_t byte;

        if (nce_platform_modem_read(&byte, 1u, 3000u) != 1) {
            nce_platform_exit(3);
        }
        if (byte == '\n') {
            continue;
        }
        if (byte != '\r' && used < sizeof line - 1u) {
            line[used++] = (char)byte;
            continue;
        }
        line[used] = '\0';
        used = 0;
        if (starts_with(line, "exit ")) {
            nce_platform_exit((int)(line[5] - '0'));
        }
        put_u32(nce_platform_now_ms());
        put(" I echo text=");
        put(line);
        put("\n");
        if (starts_with(line, "hang")) {
            for (;;) {
                nce_platform_sleep_ms(1000u);
            }
        }
        if (line[0] < 'a' || line[0] > 'z' || starts_with(line, "ok ")) {
            continue;
        }
        nce_platform_modem_write((const uint8_t *)"ok ", 3u);
        for (i = 0; line[i] != '\0'; i++) {
        }
        nce_platform_modem_write((const uint8_t *)line, i);
        nce_platform_modem_write((const uint8_t *)"\r\n", 2u);
    }
}
