/*
 * at_reader_main.c - host test of the firmware's sans-I/O AT reader (firmware/common/at):
 * each stream is fed whole and split at every chunk boundary; the event log must be the same
 * and must equal the expected one. Exit 0 when all pass; prints the first difference.
 */
#include <stdio.h>
#include <string.h>

#include "nce_at.h"

static char s_log[4096];

static void on_event(void *ctx, const nce_at_event_t *e)
{
    static const char *const kinds[] = {"INFO", "FINAL", "PROMPT", "BINARY", "URC", "BOOT", "NOISE", "STRAY"};
    size_t n = strlen(s_log);

    (void)ctx;
    snprintf(s_log + n, sizeof s_log - n, "%s[%s|%s|%zu|%d|%d|%d];", kinds[e->kind], e->line,
             e->body != NULL ? e->body : "", e->data_len, (int)e->final, e->code, (int)e->command_ended);
}

static void run(const char *command, const char *stream, size_t len, size_t split)
{
    static nce_at_reader_t r;

    s_log[0] = '\0';
    nce_at_reader_init(&r, on_event, NULL);
    if (command != NULL) {
        nce_at_reader_start(&r, command);
    }
    if (split == 0u || split >= len) {
        nce_at_feed(&r, (const unsigned char *)stream, len);
    } else {
        nce_at_feed(&r, (const unsigned char *)stream, split);
        nce_at_feed(&r, (const unsigned char *)stream + split, len - split);
    }
}

static int check(const char *name, const char *command, const char *stream, size_t len, const char *expected)
{
    size_t split;

    for (split = 0; split < len; split++) {
        run(command, stream, len, split);
        if (strcmp(s_log, expected) != 0) {
            printf("FAIL %s (split at %zu)\n  expected %s\n  got      %s\n", name, split, expected, s_log);
            return 1;
        }
    }
    printf("ok %s\n", name);
    return 0;
}

#define CHECK(name, command, stream, expected) failures += check(name, command, stream, sizeof stream - 1u, expected)

int main(void)
{
    int failures = 0;

    CHECK("qird binary", "AT+QIRD=0,1500", "\r\n+QIRD: 5\r\nA\r\nOK\r\n\r\nOK\r\n",
          "INFO[+QIRD: 5||0|0|0|0];BINARY[+QIRD: 5||5|0|0|0];FINAL[OK||0|1|0|0];");
    CHECK("qird empty", "AT+QIRD=0,1500", "\r\n+QIRD: 0\r\n\r\nOK\r\n",
          "INFO[+QIRD: 0||0|0|0|0];BINARY[+QIRD: 0||0|0|0|0];FINAL[OK||0|1|0|0];");
    CHECK("xrecvfrom", "AT#XRECVFROM=5", "\r\n#XRECVFROM: 3,\"10.0.0.1\",5683\r\nabc\r\nOK\r\n",
          "INFO[#XRECVFROM: 3,\"10.0.0.1\",5683||0|0|0|0];BINARY[#XRECVFROM: 3,\"10.0.0.1\",5683||3|0|0|0];"
          "FINAL[OK||0|1|0|0];");
    CHECK("echo, info, cme", "AT+CPIN?", "AT+CPIN?\r\r\n+CME ERROR: 10\r\n", "FINAL[+CME ERROR: 10||0|3|10|0];");
    CHECK("cereg read vs urc", "AT+CEREG?", "\r\n+CEREG: 5,\"1A2B\",\"01\",7\r\n\r\n+CEREG: 5,5\r\n\r\nOK\r\n",
          "URC[+CEREG: 5,\"1A2B\",\"01\",7||0|0|0|0];INFO[+CEREG: 5,5||0|0|0|0];FINAL[OK||0|1|0|0];");
    CHECK("prompt and send ok", "AT+QISEND=0,4", "\r\n> SEND OK\r\n",
          "PROMPT[>||0|0|0|0];FINAL[SEND OK||0|1|0|0];");
    CHECK("two-line cmt", NULL, "\r\n+CMT: ,24\r\n07911326040000F0040B911346610089F60000\r\n",
          "URC[+CMT: ,24|07911326040000F0040B911346610089F60000|0|0|0|0];");
    CHECK("cmgr body is info", "AT+CMGR=1", "\r\n+CMGR: 0,,24\r\n+CMTI: \"SM\",1\r\nOK\r\n",
          "INFO[+CMGR: 0,,24||0|0|0|0];INFO[+CMTI: \"SM\",1||0|0|0|0];FINAL[OK||0|1|0|0];");
    CHECK("boot cuts a command", "AT+COPS=0", "\r\nAPP RDY\r\n\r\nOK\r\n",
          "BOOT[APP RDY||0|0|0|1];STRAY[OK||0|1|0|0];");
    CHECK("idle urc, stray", NULL, "\r\n+QIURC: \"recv\",0\r\nhello\r\nOK\r\n",
          "URC[+QIURC: \"recv\",0||0|0|0|0];STRAY[hello||0|0|0|0];STRAY[OK||0|1|0|0];");
    CHECK("garbage salvaged", "AT", "\r\n\x01\x02OK\r\n", "NOISE[||4|0|0|0];FINAL[OK||0|1|0|0];");
    CHECK("vendor final only for its command", "AT+CSQ", "\r\nSEND OK\r\nOK\r\n",
          "INFO[SEND OK||0|0|0|0];FINAL[OK||0|1|0|0];");
    return failures == 0 ? 0 : 1;
}
