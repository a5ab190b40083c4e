/*
 * port_check.c - a firmware image that checks the FreeRTOS port itself, independent of the app:
 * every nce_platform.h function, on the board, with a modem on the modem UART.
 *
 * Lines (console format of firmware/README.md):
 *     <ms> I portcheck boot board=<board> config=absent|present
 *     <ms> I portcheck check=<name> ok <fields>      one per passed check
 *     <ms> I portcheck line task=<a|b> n=<k> pad=<...> lines written concurrently by two tasks
 *     <ms> I portcheck result=pass                     then exit status 0
 *     <ms> E portcheck result=fail check=<name> ...   then exit status 1
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"

#include "nce_config.h"
#include "nce_platform.h"
#include "nce_port.h"

#define CHECK_STACK_WORDS 768u
#define WRITER_STACK_WORDS 384u
#define WRITER_LINES 25u

static StaticTask_t s_check_tcb;
static StackType_t s_check_stack[CHECK_STACK_WORDS];
static StaticTask_t s_writer_tcb[2];
static StackType_t s_writer_stack[2][WRITER_STACK_WORDS];
static TaskHandle_t s_check_task;

static size_t put(char *line, size_t at, size_t cap, const char *text)
{
    while (*text != '\0' && at + 1u < cap) {
        line[at++] = *text++;
    }
    line[at] = '\0';
    return at;
}

static size_t put_u32(char *line, size_t at, size_t cap, uint32_t value)
{
    char number[11];

    (void)nce_port_u32_text(number, value);
    return put(line, at, cap, number);
}

/* "<ms> <level> portcheck <text>\n" through the platform console (the mutex path). */
static void report(char level, const char *text)
{
    char line[200];
    char level_text[4] = {' ', '?', ' ', '\0'};
    size_t n = put_u32(line, 0, sizeof line - 1u, nce_platform_now_ms());

    level_text[1] = level;
    n = put(line, n, sizeof line - 1u, level_text);
    n = put(line, n, sizeof line - 1u, "portcheck ");
    n = put(line, n, sizeof line - 1u, text);
    line[n++] = '\n';
    nce_platform_console_write(line, n);
}

static void fail(const char *check, const char *detail)
{
    char text[160];
    size_t n = put(text, 0, sizeof text, "result=fail check=");

    n = put(text, n, sizeof text, check);
    n = put(text, n, sizeof text, " detail=");
    (void)put(text, n, sizeof text, detail);
    report('E', text);
    nce_platform_exit(1);
}

static void passed(const char *check, const char *fields)
{
    char text[160];
    size_t n = put(text, 0, sizeof text, "check=");

    n = put(text, n, sizeof text, check);
    n = put(text, n, sizeof text, " ok");
    if (fields[0] != '\0') {
        n = put(text, n, sizeof text, " ");
        (void)put(text, n, sizeof text, fields);
    }
    report('I', text);
}

static int contains(const uint8_t *data, size_t len, const char *needle)
{
    size_t m = strlen(needle);
    size_t i;

    for (i = 0; i + m <= len; i++) {
        if (memcmp(data + i, needle, m) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Sends command, collects the answer until "OK\r\n" within timeout_ms; returns bytes read. */
static size_t modem_exchange(const char *command, uint8_t *answer, size_t cap, uint32_t timeout_ms)
{
    uint32_t start = nce_platform_now_ms();
    size_t have = 0;

    if (nce_platform_modem_write((const uint8_t *)command, strlen(command)) != (int)strlen(command)) {
        fail("modem", "write");
    }
    while (!contains(answer, have, "OK\r\n")) {
        uint32_t elapsed = nce_platform_now_ms() - start;
        int n;

        if (elapsed >= timeout_ms || have == cap) {
            fail("modem", "no_ok");
        }
        n = nce_platform_modem_read(answer + have, cap - have, timeout_ms - elapsed);
        if (n < 0) {
            fail("modem", "read_error");
        }
        have += (size_t)n;
    }
    return have;
}

static void check_modem(void)
{
    static uint8_t answer[512];
    char fields[64];
    size_t first;
    size_t second;
    size_t n;

    /* The simulated modem may still be booting: a first AT can go unanswered. */
    first = modem_exchange("AT\r", answer, sizeof answer, 15000u);
    second = modem_exchange("ATI\r", answer, sizeof answer, 5000u);
    n = put(fields, 0, sizeof fields, "at_bytes=");
    n = put_u32(fields, n, sizeof fields, (uint32_t)first);
    n = put(fields, n, sizeof fields, " ati_bytes=");
    n = put_u32(fields, n, sizeof fields, (uint32_t)second);
    n = put(fields, n, sizeof fields, " dropped=");
    (void)put_u32(fields, n, sizeof fields, nce_port_modem_rx_dropped());
    passed("modem", fields);
}

static void check_read_timeout(void)
{
    uint8_t byte;
    uint32_t start = nce_platform_now_ms();
    int n = nce_platform_modem_read(&byte, 1, 300u);
    uint32_t elapsed = nce_platform_now_ms() - start;
    char fields[32];

    if (n != 0) {
        fail("read_timeout", "unexpected_byte");
    }
    if (elapsed < 300u) {
        fail("read_timeout", "too_early");
    }
    (void)put_u32(fields, put(fields, 0, sizeof fields, "elapsed_ms="), sizeof fields, elapsed);
    passed("read_timeout", fields);
}

static void check_sleep(void)
{
    uint32_t start = nce_platform_now_ms();
    uint32_t elapsed;
    char fields[32];

    nce_platform_sleep_ms(100u);
    elapsed = nce_platform_now_ms() - start;
    if (elapsed < 100u) {
        fail("sleep", "too_short");
    }
    (void)put_u32(fields, put(fields, 0, sizeof fields, "elapsed_ms="), sizeof fields, elapsed);
    passed("sleep", fields);
}

static void check_random(void)
{
    uint32_t a = nce_platform_random();
    uint32_t b = nce_platform_random();
    uint32_t c = nce_platform_random();

    if (a == b && b == c) {
        fail("random", "constant");
    }
    passed("random", "");
}

static void writer(void *name)
{
    const char *task = (const char *)name;
    char text[120];
    uint32_t i;

    for (i = 0; i < WRITER_LINES; i++) {
        size_t n = put(text, 0, sizeof text, "line task=");
        n = put(text, n, sizeof text, task);
        n = put(text, n, sizeof text, " n=");
        n = put_u32(text, n, sizeof text, i);
        (void)put(text, n, sizeof text, " pad=0123456789abcdefghijklmnopqrstuvwxyz0123456789");
        report('I', text);
    }
    (void)xTaskNotifyGive(s_check_task);
    for (;;) {
        vTaskSuspend(NULL);
    }
}

static void check_console(void)
{
    static char name_a[] = "a";
    static char name_b[] = "b";
    uint32_t done = 0;

    (void)xTaskCreateStatic(writer, "writer_a", WRITER_STACK_WORDS, name_a, tskIDLE_PRIORITY + 1u,
                            s_writer_stack[0], &s_writer_tcb[0]);
    (void)xTaskCreateStatic(writer, "writer_b", WRITER_STACK_WORDS, name_b, tskIDLE_PRIORITY + 1u,
                            s_writer_stack[1], &s_writer_tcb[1]);
    while (done < 2u) {
        if (ulTaskNotifyTake(pdFALSE, nce_port_ms_to_ticks(10000u)) == 0u) {
            fail("console", "writers_stuck");
        }
        done++;
    }
    passed("console", "writers=2");
}

static void check_task(void *unused)
{
    const uint8_t *block = nce_platform_config_block();
    int present = block != NULL && memcmp(block, "NCEC", 4) == 0;

    (void)unused;
    report('I', present ? "boot board=" NCE_BOARD_NAME " config=present"
                        : "boot board=" NCE_BOARD_NAME " config=absent");
    check_sleep();
    check_random();
    check_modem();
    check_read_timeout();
    /* The check task waits at a higher priority while the writers share the CPU. */
    check_console();
    report('I', "result=pass");
    nce_platform_exit(0);
}

int main(void)
{
    nce_port_init();
    nce_port_log_raw('I', "portcheck", "stage=init");
    s_check_task = xTaskCreateStatic(check_task, "check", CHECK_STACK_WORDS, NULL, tskIDLE_PRIORITY + 2u,
                                     s_check_stack, &s_check_tcb);
    vTaskStartScheduler();
    return 0; /* not reached: the scheduler does not return with static idle memory */
}
