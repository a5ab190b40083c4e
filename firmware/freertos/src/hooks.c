/*
 * hooks.c - what the kernel calls when something is wrong: a failed configASSERT, a task stack
 * overflow, a fault. Each logs one error line and ends the firmware (QEMU: exit status 1;
 * hardware: reset), because continuing with a corrupted kernel state helps nobody.
 */
#include <stddef.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"

#include "nce_board.h"
#include "nce_port.h"

static const char *base_name(const char *path)
{
    const char *name = path;

    for (; *path != '\0'; path++) {
        if (*path == '/' || *path == '\\') {
            name = path + 1;
        }
    }
    return name;
}

void nce_port_fatal(const char *cause, const char *where)
{
    char fields[128];
    size_t n = 0;
    const char *parts[4];
    size_t i;

    taskDISABLE_INTERRUPTS();
    parts[0] = "cause=";
    parts[1] = cause;
    parts[2] = " where=";
    parts[3] = where;
    for (i = 0; i < 4u; i++) {
        const char *p = parts[i];
        while (*p != '\0' && n + 1u < sizeof fields) {
            fields[n++] = *p++;
        }
    }
    fields[n] = '\0';
    nce_port_log_raw('E', "error", fields);
    nce_board_exit(1);
}

void nce_port_assert_failed(const char *file, int line)
{
    char where[96];
    char number[11];
    const char *name = base_name(file);
    size_t n = 0;
    size_t i;

    while (*name != '\0' && n < sizeof where - sizeof number - 2u) {
        where[n++] = *name++;
    }
    where[n++] = ':';
    (void)nce_port_u32_text(number, line < 0 ? 0u : (uint32_t)line);
    for (i = 0; number[i] != '\0'; i++) {
        where[n++] = number[i];
    }
    where[n] = '\0';
    nce_port_fatal("assert", where);
}

void vApplicationStackOverflowHook(TaskHandle_t task, char *name)
{
    char where[5 + configMAX_TASK_NAME_LEN + 1];
    size_t n = 0;
    const char *prefix = "task:";

    (void)task;
    while (*prefix != '\0') {
        where[n++] = *prefix++;
    }
    while (name != NULL && *name != '\0' && n + 1u < sizeof where) {
        where[n++] = *name++;
    }
    where[n] = '\0';
    nce_port_fatal("stack_overflow", where);
}
