/*
 * main.c - the app (firmware/common) on Zephyr, shaped like the FreeRTOS port:
 *
 *   modem thread  owns the app and the link: bring-up and recovery (nce_app_connect), uplink
 *                 rounds when the uplink timer asks, link events (nce_app_poll), configuration
 *                 texts from its inbox; the only thread that touches the modem.
 *   uplink timer  a k_timer armed by the modem thread for the next round (after every round and
 *                 configuration change); its expiry puts an uplink request into the inbox.
 *   inbox         a k_msgq: uplink requests and configuration texts (MT SMS, or any thread
 *                 through nce_zephyr_configure), so the app's state changes only in one thread.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <zephyr/kernel.h>

#include "nce_app.h"
#include "nce_platform.h"
#include "nce_zephyr.h"

typedef enum { INBOX_UPLINK = 1, INBOX_CONFIG = 2 } inbox_kind_t;

typedef struct {
    uint8_t kind; /* inbox_kind_t */
    char text[NCE_ZEPHYR_CONFIG_TEXT_MAX + 1u];
} inbox_message_t;

K_MSGQ_DEFINE(s_inbox, sizeof(inbox_message_t), CONFIG_NCE_INBOX_LENGTH, 4);

/* The modem thread waits for main() to bring the devices up before it touches them. */
static K_SEM_DEFINE(s_platform_ready, 0, 1);

static nce_app_t s_app;
static nce_link_t s_link;
#if defined(CONFIG_NCE_LINK_AT_UART)
static nce_link_modem_ctx_t s_link_ctx;
#endif

/* Expiry runs in the timer ISR: queue without waiting. A full inbox already holds work for the
 * modem thread, and its next schedule re-arms the timer. */
static void uplink_timer_expired(struct k_timer *timer)
{
    inbox_message_t request;

    ARG_UNUSED(timer);
    request.kind = INBOX_UPLINK;
    request.text[0] = '\0';
    (void)k_msgq_put(&s_inbox, &request, K_NO_WAIT);
}

K_TIMER_DEFINE(s_uplink_timer, uplink_timer_expired, NULL);

int nce_zephyr_configure(const char *text, uint32_t timeout_ms)
{
    inbox_message_t message;
    size_t len;

    if (text == NULL) {
        return -1;
    }
    len = strlen(text);
    if (len > NCE_ZEPHYR_CONFIG_TEXT_MAX) {
        return -1;
    }
    message.kind = INBOX_CONFIG;
    memcpy(message.text, text, len + 1u);
    return k_msgq_put(&s_inbox, &message, timeout_ms == 0u ? K_NO_WAIT : K_MSEC(timeout_ms)) == 0 ? 0 : -2;
}

/* The app's SMS handler (modem thread, inside nce_app_poll): queue, never block. */
static int sms_to_inbox(void *user, const char *sender, const char *text)
{
    ARG_UNUSED(user);
    ARG_UNUSED(sender);
    return nce_zephyr_configure(text, 0u);
}

/* Arm the timer for the next round; only while connected (idle during recovery: the first
 * schedule after it re-arms). */
static void schedule_next_round(void)
{
    if (s_app.state != NCE_APP_STATE_CONNECTED) {
        k_timer_stop(&s_uplink_timer);
        return;
    }
    k_timer_start(&s_uplink_timer, K_MSEC(nce_app_uplink_wait_ms(&s_app)), K_NO_WAIT);
}

static void handle_inbox(void)
{
    inbox_message_t message;
    int round_asked = 0;

    while (k_msgq_get(&s_inbox, &message, K_NO_WAIT) == 0) {
        if (message.kind == INBOX_CONFIG) {
            (void)nce_app_configure(&s_app, message.text);
            schedule_next_round(); /* an interval change moves the next round */
        } else if (message.kind == INBOX_UPLINK) {
            round_asked = 1;
        }
    }
    if (!round_asked) {
        return;
    }
    /* The app's own schedule decides (the timer may be stale after a configuration change). */
    if (s_app.state == NCE_APP_STATE_CONNECTED && nce_app_uplink_due(&s_app)) {
        (void)nce_app_uplink_round(&s_app);
    }
    schedule_next_round();
}

#if defined(CONFIG_NCE_LINK_AT_UART)
/* CONFIG_NCE_MODEM_DIALECT as the modem layer's dialect (its names: nce_dialect_name). */
static nce_dialect_t configured_dialect(void)
{
    static const char *const names[] = {"bg95", "bg96", "nrf91", "sara-r4", "sara-r5", "sim7080"};
    static const nce_dialect_t dialects[] = {NCE_DIALECT_BG95,    NCE_DIALECT_BG96,    NCE_DIALECT_NRF91,
                                             NCE_DIALECT_SARA_R4, NCE_DIALECT_SARA_R5, NCE_DIALECT_SIM7080};
    size_t i;

    for (i = 0; i < ARRAY_SIZE(names); i++) {
        if (strcmp(CONFIG_NCE_MODEM_DIALECT, names[i]) == 0) {
            return dialects[i];
        }
    }
    return NCE_DIALECT_AUTO; /* "auto" (or unknown): identified at boot with AT+CGMM / ATI */
}
#endif

static void modem_thread(void *p1, void *p2, void *p3)
{
    ARG_UNUSED(p1);
    ARG_UNUSED(p2);
    ARG_UNUSED(p3);
    (void)k_sem_take(&s_platform_ready, K_FOREVER);
#if defined(CONFIG_NCE_LINK_AT_UART)
    nce_link_modem(&s_link, &s_link_ctx, &nce_app_platform_io, configured_dialect());
#elif defined(CONFIG_NCE_LINK_OFFLOADED)
    nce_zephyr_link_offload(&s_link);
#endif
    nce_app_init(&s_app, &s_link);
    nce_app_set_sms_handler(&s_app, sms_to_inbox, NULL);
    for (;;) {
        if (nce_app_time_is_up(&s_app)) {
            k_timer_stop(&s_uplink_timer);
            nce_app_finish(&s_app); /* does not return */
        }
        if (s_app.state != NCE_APP_STATE_CONNECTED) {
            (void)nce_app_connect(&s_app); /* waits the back-off between attempts */
            schedule_next_round();
            continue;
        }
        handle_inbox();
        if (s_app.state == NCE_APP_STATE_CONNECTED) {
            (void)nce_app_poll(&s_app, CONFIG_NCE_POLL_SLICE_MS);
        }
    }
}

K_THREAD_DEFINE(s_modem_thread, CONFIG_NCE_MODEM_THREAD_STACK_SIZE, modem_thread, NULL, NULL, NULL,
                CONFIG_NCE_MODEM_THREAD_PRIORITY, 0, 0);

int main(void)
{
    int err = nce_zephyr_platform_init();

    if (err != 0) {
        /* No console to say it on either, possibly: try, then stop. */
        static const char line[] = "0 E error cause=device_not_ready where=platform\n";

        nce_platform_console_write(line, sizeof line - 1u);
        return err;
    }
    k_sem_give(&s_platform_ready);
    return 0;
}
