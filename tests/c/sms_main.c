/*
 * Host driver for firmware/common/modem/nce_sms.c: one SMS-DELIVER PDU (hex) per stdin line in,
 * one line out: status <TAB> sender <TAB> text as hex <TAB> part/parts <TAB> truncated.
 * The text goes out as hex so any UTF-8 (and a tab or newline inside it) survives.
 * With the argument "encode": "number <TAB> text" lines in, "status <TAB> PDU hex <TAB> TPDU
 * length" lines out (SMS-SUBMIT).
 */
#include <stdio.h>
#include <string.h>

#include "nce_sms.h"

static int encode_lines(void)
{
    static char line[2048];
    static char pdu[400];

    while (fgets(line, sizeof line, stdin) != NULL) {
        char *tab = strchr(line, '\t');
        uint8_t tpdu_len = 0;
        nce_sms_status_t status;

        line[strcspn(line, "\r\n")] = '\0';
        if (tab == NULL) {
            return 2;
        }
        *tab = '\0';
        status = nce_sms_encode_submit(line, tab + 1, pdu, sizeof pdu, &tpdu_len);
        printf("%d\t%s\t%u\n", (int)status, pdu, tpdu_len);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char line[2048];
    nce_sms_t sms;

    if (argc > 1 && strcmp(argv[1], "encode") == 0) {
        return encode_lines();
    }
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
