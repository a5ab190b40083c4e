/*
 * Host driver for firmware/common/modem/nce_sms.c: one SMS-DELIVER PDU (hex) per stdin line in,
 * one line out: status <TAB> sender <TAB> text as hex <TAB> part/parts <TAB> truncated.
 * The text goes out as hex so any UTF-8 (and a tab or newline inside it) survives.
 */
#include <stdio.h>
#include <string.h>

#include "nce_sms.h"

int main(void)
{
    static char line[2048];
    nce_sms_t sms;

    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t len = strcspn(line, "\r\n");
        nce_sms_status_t status = nce_sms_decode_deliver(line, len, &sms);
        size_t i;

        printf("%d\t%s\t", (int)status, sms.sender);
        for (i = 0; sms.text[i] != '\0'; i++) {
            printf("%02x", (unsigned)(unsigned char)sms.text[i]);
        }
        printf("\t%u/%u\t%u\n", sms.part, sms.parts, sms.truncated);
    }
    return 0;
}
