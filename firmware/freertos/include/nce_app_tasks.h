/*
 * nce_app_tasks.h - the app (nce_app.h) as FreeRTOS tasks.
 *
 *   modem task   owns the app and the link: bring-up and recovery (nce_app_connect), uplink
 *                rounds when the uplink task asks, link events (nce_app_poll), configuration
 *                texts from its inbox queue; the only task that touches the modem UART.
 *   uplink task  the period timer: sleeps until the next round is due (the schedule the modem
 *                task posts to its mailbox after every round and configuration change), then
 *                asks the modem task for a round through the inbox.
 *
 * MT SMS texts go through the same inbox as configuration texts from any other task
 * (nce_app_tasks_configure), so the app's state is only ever changed by the modem task.
 */
#ifndef NCE_APP_TASKS_H
#define NCE_APP_TASKS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef NCE_APP_MODEM_TASK_STACK_WORDS
#define NCE_APP_MODEM_TASK_STACK_WORDS 2048u
#endif
#ifndef NCE_APP_UPLINK_TASK_STACK_WORDS
#define NCE_APP_UPLINK_TASK_STACK_WORDS 256u
#endif
/* The modem task polls the link in slices this long, so an inbox message waits at most this. */
#ifndef NCE_APP_POLL_SLICE_MS
#define NCE_APP_POLL_SLICE_MS 100u
#endif
#ifndef NCE_APP_INBOX_LENGTH
#define NCE_APP_INBOX_LENGTH 4u
#endif
/* The longest configuration text (an SMS holds 160 characters). */
#define NCE_APP_CONFIG_TEXT_MAX 160u

/* Creates the queues and both tasks (all memory static). Call after nce_port_init(), before
 * vTaskStartScheduler(). */
void nce_app_tasks_start(void);

/* Hands a configuration text ("interval=30", nce_app_configure's syntax) to the modem task from
 * any task; waits up to timeout_ms for room in the inbox. Returns 0 when queued, -1 when the
 * text is NULL or longer than NCE_APP_CONFIG_TEXT_MAX, -2 when the inbox stayed full. */
int nce_app_tasks_configure(const char *text, uint32_t timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* NCE_APP_TASKS_H */
