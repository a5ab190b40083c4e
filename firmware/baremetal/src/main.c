/*
 * main.c - the bare-metal firmware: the board, the AT modem link, the app's superloop.
 */
#include "board.h"
#include "nce_app.h"

#ifndef NCE_MODEM_DIALECT
#define NCE_MODEM_DIALECT NCE_DIALECT_AUTO
#endif

static nce_app_t s_app;
static nce_link_modem_ctx_t s_link_ctx;
static nce_link_t s_link;

int main(void)
{
    board_init();
    nce_link_modem(&s_link, &s_link_ctx, &nce_app_platform_io, NCE_MODEM_DIALECT);
    nce_app_init(&s_app, &s_link);
    nce_app_run(&s_app);
    return 0;
}
