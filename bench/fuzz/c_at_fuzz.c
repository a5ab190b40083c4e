/*
 * c_at_fuzz.c - random-mutation fuzzing of the firmware's C AT reader (firmware/common/at) under
 * ASan+UBSan. Built and run by bench/fuzz/run_c_at_fuzz.py, which passes a seed file of
 * (command, modem bytes) records taken from the captures and typical answers.
 *
 * Each iteration takes a seed (or random bytes), mutates it (byte edits, inserted AT tokens such
 * as binary headers, prompts, boot lines, two-line URCs, overlong runs), feeds it in random chunks
 * while starting random commands (including overlong ones), abandoning and resetting at random,
 * and runs the text helpers on every event's line with exact-size heap buffers. Every event is
 * checked (line NUL-terminated at line_len, lengths within the limits, payload bytes readable);
 * any sanitizer report or failed check aborts.
 *
 *   c_at_fuzz SEED_FILE SECONDS [MAX_ITERATIONS [RNG_SEED]]
 * prints: iterations N bytes N events N seconds S
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c99 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nce_at.h"

#define MAX_SEEDS 256u
#define BUF_CAP 8192u

typedef struct {
    char command[512];
    uint8_t *data;
    size_t len;
} seed_t;

static seed_t s_seeds[MAX_SEEDS];
static size_t s_seed_count;
static uint64_t s_state = 0x9E3779B97F4A7C15ull;
static unsigned long long s_events;
static volatile uint32_t s_sink;

static uint32_t next(void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return (uint32_t)(s_state >> 11);
}

static void fail(const char *what, const nce_at_event_t *e)
{
    fprintf(stderr, "check failed: %s (event kind %d, line_len %zu, data_len %zu)\n", what, (int)e->kind,
            e->line_len, e->data_len);
    abort();
}

static void use_text_helpers(const char *line)
{
    unsigned index = next() % 6u;
    size_t cap = 1u + next() % 24u;
    char *out = malloc(cap); /* exact size: an overflow is a heap error */
    long value;

    if (out == NULL) {
        abort();
    }
    if (nce_at_field(line, index, out, cap) >= 0 && strlen(out) >= cap) {
        fprintf(stderr, "nce_at_field wrote past its cap\n");
        abort();
    }
    (void)nce_at_field_int(line, index, &value);
    (void)nce_at_starts_with(line, "+QIRD:");
    (void)nce_at_default_timeout(line);
    (void)nce_at_strlcpy(out, line, cap);
    free(out);
}

static void on_event(void *ctx, const nce_at_event_t *e)
{
    size_t i;
    uint32_t sum = 0;

    (void)ctx;
    s_events++;
    if (e->line == NULL || strlen(e->line) != e->line_len) {
        fail("line not NUL-terminated at line_len", e);
    }
    if (e->line_len > NCE_AT_LINE_MAX) {
        fail("line longer than NCE_AT_LINE_MAX", e);
    }
    if (e->data_len > NCE_AT_BINARY_MAX || (e->data == NULL && e->data_len != 0u)) {
        fail("payload length", e);
    }
    for (i = 0; i < e->data_len; i++) {
        sum += e->data[i];
    }
    if (e->body != NULL) {
        sum += (uint32_t)strlen(e->body);
        if (strlen(e->body) > NCE_AT_LINE_MAX) {
            fail("body longer than NCE_AT_LINE_MAX", e);
        }
    }
    if (e->kind > NCE_AT_EVENT_STRAY || e->final > NCE_AT_FINAL_CMS) {
        fail("enum out of range", e);
    }
    s_sink += sum;
    use_text_helpers(e->line);
}

static const char *const k_tokens[] = {
    "\r\n", "\r", "\n", "OK\r\n", "ERROR\r\n", "+CME ERROR: 10\r\n", "+CMS ERROR: 500\r\n", "> ", "@",
    "+QIRD: 5\r\n", "+QIRD: 1500\r\n", "+QIRD: 1501\r\n", "+QIRD: 0\r", "+QIRD: 99999999999999\r\n",
    "#XRECVFROM: 3,\"10.0.0.1\",5683\r\n", "#XUDPDATA: 4\r\n", "#XUDPDATA: 2,\"1.2.3.4\",1\r\n",
    "+CIPRXGET: 2,0,7,0\r\n", "#SRECV: 1,3\r\n", "+CMT: ,24\r\n", "+CDS: 6\r\n", "+CMGR: 0,,24\r\n",
    "RDY\r\n", "APP RDY\r\n", "Ready\r\n", "+KSUP: 0\r\n", "+CEREG: 5,\"1A2B\",\"01\",7\r\n",
    "+CEREG: 2,5\r\n", "SEND OK\r\n", "1, SEND OK\r\n", "DATA ACCEPT:3\r\n", "CONNECT\r\n", "10.1.2.3\r\n",
    "+CIPRXGET: 1,0\r\n", "\x00", "\xff\xfe", "\x1a", "\"", ",", ":"};

static const char *const k_commands[] = {
    "AT", "AT+QIRD=0,1500", "AT#XRECVFROM=1500", "AT+QISEND=0,5", "AT+CMGS=24", "AT+CMGR=1",
    "AT+CEREG?", "AT+CFUN=1,1", "AT#XRESET", "AT+CIPSEND=0,4", "AT+CIPCLOSE=1", "AT+CIFSR", "ATD*99#",
    "AT+USOST=0,\"1.2.3.4\",1,4", "AT+CIPRXGET=2,0,7", "AT+CMEE=1;+CREG=2;+CEREG=5;+CGREG=2;+C5GREG=1",
    "at+csq", "ATE0", "", "AT+", "AT;;;", "AT+CSQ;+CSQ;+CSQ;+CSQ;+CSQ;+CSQ"};

static size_t insert(uint8_t *buf, size_t len, size_t at, const uint8_t *what, size_t n)
{
    if (n > BUF_CAP - len) {
        n = BUF_CAP - len;
    }
    memmove(buf + at + n, buf + at, len - at);
    memcpy(buf + at, what, n);
    return len + n;
}

static size_t mutate(uint8_t *buf, size_t len)
{
    unsigned edits = next() % 12u;

    while (edits-- > 0u) {
        unsigned kind = next() % 8u;
        size_t at = len > 0u ? next() % (len + 1u) : 0u;

        if (kind == 0u && len > 0u) {
            buf[next() % len] = (uint8_t)next();
        } else if (kind <= 3u) {
            const char *token = k_tokens[next() % (sizeof k_tokens / sizeof k_tokens[0])];
            size_t n = strlen(token);

            if (n == 0u) {
                n = 1u; /* "\x00": one NUL byte */
            }
            len = insert(buf, len, at, (const uint8_t *)token, n);
        } else if (kind == 4u && len > 0u) {
            size_t n = next() % (len - at + 1u);

            memmove(buf + at, buf + at + n, len - at - n);
            len -= n;
        } else if (kind == 5u) {
            /* a run with no line end: overlong lines, long payloads */
            uint8_t run[600];
            size_t n = 1u + next() % sizeof run;

            memset(run, 'A' + (int)(next() % 26u), n);
            len = insert(buf, len, at, run, n);
        } else if (kind == 6u && len > 0u) {
            uint8_t copy[256];
            size_t from = next() % len;
            size_t n = next() % (len - from + 1u);

            n = n < sizeof copy ? n : sizeof copy;
            memcpy(copy, buf + from, n); /* a copy: the source moves during the insert */
            len = insert(buf, len, at, copy, n);
        } else if (len > 0u) {
            len = next() % len; /* truncate */
        }
    }
    return len;
}

static void random_command(char *out, size_t cap)
{
    unsigned pick = next() % 4u;

    if (pick == 0u && s_seed_count > 0u) {
        snprintf(out, cap, "%s", s_seeds[next() % s_seed_count].command);
    } else if (pick == 1u) {
        size_t n = next() % (cap - 1u);
        size_t i;

        out[0] = 'A';
        out[1] = 'T';
        for (i = 2; i < n; i++) {
            out[i] = "+#%;=,?\"ABCQIRDEGX0123456789 "[next() % 29u];
        }
        out[n < 2u ? 2u : n] = '\0';
    } else {
        snprintf(out, cap, "%s", k_commands[next() % (sizeof k_commands / sizeof k_commands[0])]);
    }
}

static void one_iteration(nce_at_reader_t *reader, uint8_t *buf, unsigned long long *bytes)
{
    size_t len;
    size_t at = 0;
    char command[300];

    if (s_seed_count == 0u || next() % 8u == 0u) {
        size_t i;

        len = next() % 512u;
        for (i = 0; i < len; i++) {
            buf[i] = (uint8_t)next();
        }
    } else {
        const seed_t *seed = &s_seeds[next() % s_seed_count];

        len = seed->len < BUF_CAP ? seed->len : BUF_CAP;
        memcpy(buf, seed->data, len);
        if (seed->command[0] != '\0') {
            nce_at_reader_start(reader, seed->command);
        }
    }
    len = mutate(buf, len);
    if (next() % 4u == 0u) {
        nce_at_reader_init(reader, on_event, NULL);
    }
    while (at < len) {
        size_t chunk = 1u + next() % (next() % 2u ? 8u : 256u);
        unsigned action = next() % 32u;

        if (chunk > len - at) {
            chunk = len - at;
        }
        /* feed from an exact-size heap copy: a read past the chunk is a heap error */
        {
            uint8_t *piece = malloc(chunk);

            if (piece == NULL) {
                abort();
            }
            memcpy(piece, buf + at, chunk);
            nce_at_feed(reader, piece, chunk);
            free(piece);
        }
        at += chunk;
        if (action == 0u) {
            random_command(command, sizeof command);
            nce_at_reader_start(reader, command);
        } else if (action == 1u) {
            nce_at_reader_abandon(reader);
        } else if (action == 2u) {
            nce_at_reader_reset(reader);
        } else if (action == 3u) {
            (void)nce_at_reader_pending(reader);
        }
    }
    *bytes += len;
}

static int load_seeds(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char head[6];

    if (f == NULL) {
        perror(path);
        return -1;
    }
    /* records: u16 command length, u32 data length (little endian), command, data */
    while (s_seed_count < MAX_SEEDS && fread(head, 1, sizeof head, f) == sizeof head) {
        seed_t *seed = &s_seeds[s_seed_count];
        size_t clen = (size_t)head[0] | ((size_t)head[1] << 8);
        size_t dlen = (size_t)head[2] | ((size_t)head[3] << 8) | ((size_t)head[4] << 16) | ((size_t)head[5] << 24);

        if (clen >= sizeof seed->command || fread(seed->command, 1, clen, f) != clen) {
            break;
        }
        seed->command[clen] = '\0';
        seed->data = malloc(dlen + 1u);
        if (seed->data == NULL || fread(seed->data, 1, dlen, f) != dlen) {
            break;
        }
        seed->len = dlen;
        s_seed_count++;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    static nce_at_reader_t reader;
    static uint8_t buf[BUF_CAP];
    double seconds;
    unsigned long long max_iterations;
    unsigned long long iterations = 0;
    unsigned long long bytes = 0;
    struct timespec t0, t1;
    double elapsed = 0.0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s SEED_FILE SECONDS [MAX_ITERATIONS [RNG_SEED]]\n", argv[0]);
        return 2;
    }
    if (load_seeds(argv[1]) != 0) {
        return 2;
    }
    seconds = atof(argv[2]);
    max_iterations = argc > 3 ? strtoull(argv[3], NULL, 10) : 0u;
    if (argc > 4) {
        s_state ^= strtoull(argv[4], NULL, 10) * 0x2545F4914F6CDD1Dull;
        if (s_state == 0u) {
            s_state = 1u;
        }
    }
    nce_at_reader_init(&reader, on_event, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (max_iterations == 0u || iterations < max_iterations) {
        one_iteration(&reader, buf, &bytes);
        iterations++;
        if ((iterations & 63u) == 0u) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            if (elapsed >= seconds) {
                break;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("iterations %llu bytes %llu events %llu seconds %.1f seeds %zu noise %lu overlong %lu\n", iterations,
           bytes, s_events, elapsed, s_seed_count, (unsigned long)reader.noise_events,
           (unsigned long)reader.overlong_lines);
    return 0;
}
