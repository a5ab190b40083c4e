/*
 * nce_app_internal.h - functions shared between the app's own source files (not for ports).
 */
#ifndef NCE_APP_INTERNAL_H
#define NCE_APP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "nce_app.h"

/* Device Authenticator bootstrap; 0 on success (identity + PSK stored, "auth" logged). */
int nce_app_bootstrap(nce_app_t *app);

/* Decimal text of value (no NUL); returns the length (<= 10). */
size_t nce_app_u32_text(char *out, uint32_t value);

#endif /* NCE_APP_INTERNAL_H */
