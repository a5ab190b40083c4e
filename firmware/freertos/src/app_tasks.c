/*
 * app_tasks.c - the app as FreeRTOS tasks (see nce_app_tasks.h): a modem task that owns the app
 * and the link, an uplink task that is the period timer, and queues between them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "FreeRTOS.h"
#include "queue.h"
#include "task.h"

#include "nce_app.h"
#include "nce_app_tasks.h"
#include "nce_demo_config.h"
#include "nce_port.h"

/* The modem task runs above the uplink task: a round it is sending is never held up by the timer,
 * and the timer's one message a period costs nothing. */
#define MODEM_TASK_PRIORITY (tskIDLE_PRIORITY + 2u)
#define UPLINK_TASK_PRIORITY (tskIDLE_PRIORITY + 1u)

typedef enum { INBOX_UPLINK = 1, INBOX_CONFIG = 2 } inbox_kind_t;

typedef struct {
    uint8_t kind; /* inbox_kind_t */
    char text[NCE_APP_CONFIG_TEXT_MAX + 1u];
} inbox_message_t;

static nce_app_t s_app;
static nce_link_modem_ctx_t s_link_ctx;
static nce_link_t s_link;

static StaticQueue_t s_inbox_control;
static uint8_t s_inbox_storage[NCE_APP_INBOX_LENGTH * sizeof(inbox_message_t)];
static QueueHandle_t s_inbox;

/* Mailbox (length 1, overwritten): milliseconds from the posting until the next round is due. */
static StaticQueue_t s_schedule_control;
static uint8_t s_schedule_storage[sizeof(uint32_t)];
static QueueHandle_t s_schedule;

static StaticTask_t s_modem_tcb;
static StackType_t s_modem_stack[NCE_APP_MODEM_TASK_STACK_WORDS];
static StaticTask_t s_uplink_tcb;
static StackType_t s_uplink_stack[NCE_APP_UPLINK_TASK_STACK_WORDS];

int nce_app_tasks_configure(const char *text, uint32_t timeout_ms)
{
    inbox_message_t message;
    size_t len;

    if (text == NULL) {
        return -1;
    }
    len = strlen(text);
    if (len > NCE_APP_CONFIG_TEXT_MAX) {
        return -1;
    }
    message.kind = INBOX_CONFIG;
    memcpy(message.text, text, len + 1u);
    return xQueueSend(s_inbox, &message, (TickType_t)nce_port_ms_to_ticks(timeout_ms)) == pdPASS ? 0 : -2;
}

/* The app's SMS handler (runs in the modem task, inside nce_app_poll): queue, never block. */
static int sms_to_inbox(void *user, const char *sender, const char *text)
{
    (void)user;
    (void)sender;
    return nce_app_tasks_configure(text, 0u);
}

/* Tells the uplink task when the next round is due (only while connected: the timer is idle
 * during recovery, and the first post after it re-arms it). */
static void post_schedule(void)
{
    uint32_t wait_ms;

    if (s_app.state != NCE_APP_STATE_CONNECTED) {
        return;
    }
    wait_ms = nce_app_uplink_wait_ms(&s_app);
    (void)xQueueOverwrite(s_schedule, &wait_ms);
}

static void handle_inbox(void)
{
    inbox_message_t message;
    int round_asked = 0;

    while (xQueueReceive(s_inbox, &message, 0) == pdPASS) {
        if (message.kind == INBOX_CONFIG) {
            (void)nce_app_configure(&s_app, message.text);
            post_schedule(); /* an interval change moves the next round */
        } else if (message.kind == INBOX_UPLINK) {
            round_asked = 1;
        }
    }
    if (!round_asked) {
        return;
    }
    /* The timer may run a tick early or be stale after a configuration change: the app's own
     * schedule decides, and a fresh post re-arms the timer either way. */
    if (s_app.state == NCE_APP_STATE_CONNECTED && nce_app_uplink_due(&s_app)) {
        (void)nce_app_uplink_round(&s_app);
    }
    post_schedule();
}

static void modem_task(void *unused)
{
    (void)unused;
    nce_link_modem(&s_link, &s_link_ctx, &nce_app_platform_io, NCE_DEMO_MODEM_DIALECT);
    nce_app_init(&s_app, &s_link);
    nce_app_set_sms_handler(&s_app, sms_to_inbox, NULL);
    for (;;) {
        if (nce_app_time_is_up(&s_app)) {
            nce_app_finish(&s_app); /* does not return */
        }
        if (s_app.state != NCE_APP_STATE_CONNECTED) {
            (void)nce_app_connect(&s_app); /* waits the back-off between attempts */
            post_schedule();
            continue;
        }
        handle_inbox();
        if (s_app.state == NCE_APP_STATE_CONNECTED) {
            (void)nce_app_poll(&s_app, NCE_APP_POLL_SLICE_MS);
        }
    }
}

static void uplink_task(void *unused)
{
    TickType_t deadline = 0;
    int armed = 0;

    (void)unused;
    for (;;) {
        uint32_t wait_ms;
        TickType_t block = portMAX_DELAY;

        if (armed) {
            TickType_t now = xTaskGetTickCount();
            /* Signed distance: the deadline may already have passed. */
            int32_t left = (int32_t)(deadline - now);

            block = left > 0 ? (TickType_t)left : 0u;
        }
        if (xQueueReceive(s_schedule, &wait_ms, block) == pdPASS) {
            deadline = xTaskGetTickCount() + (TickType_t)nce_port_ms_to_ticks(wait_ms);
            armed = 1;
            continue;
        }
        if (armed) {
            inbox_message_t request;

            request.kind = INBOX_UPLINK;
            request.text[0] = '\0';
            /* A full inbox already holds work for the modem task; its next post re-arms us. */
            (void)xQueueSend(s_inbox, &request, 0);
            armed = 0;
        }
    }
}

void nce_app_tasks_start(void)
{
    TaskHandle_t modem;
    TaskHandle_t uplink;

    s_inbox = xQueueCreateStatic(NCE_APP_INBOX_LENGTH, sizeof(inbox_message_t), s_inbox_storage,
                                 &s_inbox_control);
    s_schedule = xQueueCreateStatic(1u, sizeof(uint32_t), s_schedule_storage, &s_schedule_control);
    modem = xTaskCreateStatic(modem_task, "modem", NCE_APP_MODEM_TASK_STACK_WORDS, NULL,
                              MODEM_TASK_PRIORITY, s_modem_stack, &s_modem_tcb);
    uplink = xTaskCreateStatic(uplink_task, "uplink", NCE_APP_UPLINK_TASK_STACK_WORDS, NULL,
                               UPLINK_TASK_PRIORITY, s_uplink_stack, &s_uplink_tcb);
    configASSERT(s_inbox != NULL && s_schedule != NULL && modem != NULL && uplink != NULL);
}
