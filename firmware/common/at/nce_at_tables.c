/*
 * nce_at_tables.c - the tables behind the AT reader and command layer (nce_at_tables.h); kept in
 * step with at_commands/grammar.py, framing.py and timeouts.py.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nce_at.h"
#include "nce_at_tables.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *text, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(text, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
}

/* ---- command names and behaviour --------------------------------------------------------- */

int nce_at_command_name(const char *command, char *out, size_t cap)
{
    const char *p = command;
    size_t n = 0;

    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (upper(p[0]) != 'A' || upper(p[1]) != 'T' || cap < 2u) {
        return 0;
    }
    p += 2;
    if (*p != '\0' && strchr("+%#$^*&", *p) != NULL &&
        (is_digit(p[1]) || (upper(p[1]) >= 'A' && upper(p[1]) <= 'Z') || p[1] == '_')) {
        out[n++] = *p++;
        while (n + 1u < cap && (is_digit(*p) || (upper(*p) >= 'A' && upper(*p) <= 'Z') || *p == '_')) {
            out[n++] = upper(*p++);
        }
    } else if ((upper(*p) >= 'A' && upper(*p) <= 'Z') || *p == '&') {
        out[n++] = upper(*p++);
        while (n + 1u < cap && is_digit(*p)) {
            out[n++] = *p++;
        }
    } else {
        return 0;
    }
    out[n] = '\0';
    return 1;
}

unsigned nce_at_info_prefixes(const char *command, char prefixes[][16], unsigned max)
{
    unsigned count = 0;
    const char *part = command;
    int first = 1;

    while (part != NULL && count < max) {
        char text[NCE_AT_COMMAND_MAX + 3u];
        char name[16];
        const char *semi = strchr(part, ';');
        size_t len = semi != NULL ? (size_t)(semi - part) : strlen(part);
        size_t at = 0;

        if (!first) {
            while (len > 0u && (*part == ' ' || *part == '\t')) {
                part++;
                len--;
            }
            text[0] = 'A';
            text[1] = 'T';
            at = 2;
        }
        if (len > NCE_AT_COMMAND_MAX) {
            len = NCE_AT_COMMAND_MAX;
        }
        memcpy(text + at, part, len);
        text[at + len] = '\0';
        if (nce_at_command_name(text, name, sizeof name - 1u) && strchr("+%#$^*", name[0]) != NULL) {
            size_t n = strlen(name);
            unsigned i;
            int dup = 0;

            name[n] = ':';
            name[n + 1u] = '\0';
            for (i = 0; i < count; i++) {
                dup |= strcmp(prefixes[i], name) == 0;
            }
            if (!dup) {
                memcpy(prefixes[count++], name, n + 2u);
            }
        }
        part = semi != NULL ? semi + 1 : NULL;
        first = 0;
    }
    return count;
}

static const char *const k_prompt_commands[] = {"+CMGS", "+CMGW", "+CASEND", "#SSENDEXT",
                                                "#SSENDUDPEXT", "#SSEND"};
static const char *const k_reboot_commands[] = {"+CREBOOT", "#REBOOT", "#XRESET", "+CPWROFF",
                                                "+QPOWD", "+CPOWD", "Z", "+TRB"};

uint8_t nce_at_behaviour_of(const char *command)
{
    char text[NCE_AT_COMMAND_MAX + 1u];
    char name[24];
    const char *args;
    size_t n = 0;
    const char *p;

    for (p = command; *p != '\0' && n < NCE_AT_COMMAND_MAX; p++) {
        if (*p != ' ') {
            text[n++] = upper(*p);
        }
    }
    text[n] = '\0';
    if (!nce_at_command_name(text, name, sizeof name)) {
        return 0u;
    }
    args = strchr(text, '=');
    args = args != NULL ? args + 1 : "";
    if (strcmp(name, "+CFUN") == 0) {
        /* Quectel CFUN=1,1 reboots; u-blox CFUN=15/16 reset the module. */
        return (strcmp(args, "1,1") == 0 || strcmp(args, "15") == 0 || strcmp(args, "16") == 0)
                   ? NCE_AT_B_EXPECTS_REBOOT
                   : 0u;
    }
    if (in_list(name, k_reboot_commands, COUNT(k_reboot_commands))) {
        return NCE_AT_B_EXPECTS_REBOOT;
    }
    if (strcmp(name, "+USOST") == 0 || strcmp(name, "+USOWR") == 0) {
        size_t len = strlen(args);

        return (len > 0u && args[len - 1u] == '"') ? 0u : NCE_AT_B_PROMPT;
    }
    if (strcmp(name, "+QISEND") == 0 || strcmp(name, "+QSSLSEND") == 0) {
        return NCE_AT_B_PROMPT | NCE_AT_B_SEND_FINALS;
    }
    if (strcmp(name, "+CIPSEND") == 0) {
        return NCE_AT_B_PROMPT | NCE_AT_B_CIP_FINALS;
    }
    if (strcmp(name, "+CIPCLOSE") == 0 || strcmp(name, "+CIPSHUT") == 0) {
        return NCE_AT_B_CIP_FINALS;
    }
    if (strcmp(name, "+CIFSR") == 0) {
        return NCE_AT_B_FINAL_IPV4;
    }
    if (strcmp(name, "D") == 0) {
        return NCE_AT_B_FINAL_CONNECT;
    }
    return in_list(name, k_prompt_commands, COUNT(k_prompt_commands)) ? NCE_AT_B_PROMPT : 0u;
}

/* ---- finals ------------------------------------------------------------------------------ */

static const char *const k_error_finals[] = {"ERROR", "NO CARRIER", "BUSY", "NO ANSWER",
                                             "NO DIALTONE", "COMMAND NOT SUPPORT"};

/* "<d>, <suffix>" with d in 0..7 (SIMCom multi-connection finals). */
static int numbered(const char *line, const char *suffix)
{
    return line[0] >= '0' && line[0] <= '7' && line[1] == ',' && line[2] == ' ' &&
           strcmp(line + 3, suffix) == 0;
}

nce_at_final_t nce_at_final_of(const char *line, uint8_t behaviour)
{
    if (strcmp(line, "OK") == 0) {
        return NCE_AT_FINAL_OK;
    }
    if ((behaviour & NCE_AT_B_SEND_FINALS) != 0u && strcmp(line, "SEND OK") == 0) {
        return NCE_AT_FINAL_OK;
    }
    if ((behaviour & NCE_AT_B_CIP_FINALS) != 0u) {
        if (strcmp(line, "SEND OK") == 0 || numbered(line, "SEND OK") || strcmp(line, "CLOSE OK") == 0 ||
            numbered(line, "CLOSE OK") || strcmp(line, "SHUT OK") == 0 ||
            (strncmp(line, "DATA ACCEPT:", 12) == 0 && line[12] >= '0' && line[12] <= '7' && line[13] == '\0')) {
            return NCE_AT_FINAL_OK;
        }
    }
    if (in_list(line, k_error_finals, COUNT(k_error_finals))) {
        return NCE_AT_FINAL_ERROR;
    }
    if ((behaviour & (NCE_AT_B_SEND_FINALS | NCE_AT_B_CIP_FINALS)) != 0u &&
        (strcmp(line, "SEND FAIL") == 0 || ((behaviour & NCE_AT_B_CIP_FINALS) != 0u && numbered(line, "SEND FAIL")))) {
        return NCE_AT_FINAL_ERROR;
    }
    if (strncmp(line, "+CME ERROR:", 11) == 0) {
        return NCE_AT_FINAL_CME;
    }
    if (strncmp(line, "+CMS ERROR:", 11) == 0) {
        return NCE_AT_FINAL_CMS;
    }
    return NCE_AT_FINAL_NONE;
}

int nce_at_error_code(const char *line)
{
    const char *p;
    long value = 0;

    if (strncmp(line, "+CME ERROR:", 11) != 0 && strncmp(line, "+CMS ERROR:", 11) != 0) {
        return 0;
    }
    p = line + 11;
    while (*p == ' ') {
        p++;
    }
    if (!is_digit(*p)) {
        return -1;
    }
    for (; is_digit(*p); p++) {
        value = value * 10 + (*p - '0');
        if (value > 65535) {
            return -1;
        }
    }
    while (*p == ' ') {
        p++;
    }
    return *p == '\0' ? (int)value : -1;
}

/* ---- URCs and boot lines ---------------------------------------------------------------- */

static const char *const k_urc_lines[] = {"RING", "RDY", "APP RDY", "SMS Ready", "Call Ready",
                                          "POWERED DOWN", "NORMAL POWER DOWN", "PSM POWER DOWN", "Ready",
                                          "SMS DONE", "PB DONE", "+PBREADY"};
static const char *const k_boot_lines[] = {"RDY", "APP RDY", "Ready"};

static const char *const k_urc_prefixes[] = {
    /* 3GPP */
    "+CREG:", "+CGREG:", "+CEREG:", "+C5GREG:", "+CGEV:", "+CMTI:", "+CMT:", "+CDS:", "+CDSI:",
    "+CBM:", "+CSCON:", "+CEDRXP:", "+CIEV:", "+CTZV:", "+CTZE:", "+CTZEU:", "+CPIN:", "+CFUN:",
    "+CUSD:", "+CRING:",
    /* Quectel */
    "+QIURC:", "+QIOPEN:", "+QIND:", "+QUSIM:", "+QSSLURC:", "+QSSLOPEN:", "+QPSMTIMER:",
    "+QCOAPURC:", "+QMTSTAT:", "+QMTRECV:", "+QMTOPEN:", "+QMTCONN:", "+QMTPUB:", "+QMTSUB:",
    /* Nordic */
    "%XSIM:", "%MDMEV:", "%XMODEMSLEEP:", "%CESQ:", "%XT3412:", "%NCELLMEAS:", "%XTIME:",
    "#XDATAMODE:", "#XUDPDATA:", "#XTCPDATA:", "#XCOAPCDATA:", "#XCOAPCSTAT:", "#XAPOLL:", "#XPOLL:",
    /* u-blox */
    "+UUSORF:", "+UUSORD:", "+UUSOCL:", "+UUSOCO:", "+UUPSDA:", "+UUPSDD:", "+UUSIMSTAT:",
    "+UUPING:", "+UULOC:", "+UUMQTTC:", "+UUHTTPCR:", "+UUFTPCR:", "+UUCOAPCR:",
    /* SIMCom */
    "+APP PDP:", "+CADATAIND:", "+CASTATE:", "+CCOAPRECV:", "+SMSUB:", "*PSNWID:", "*PSUTTZ:",
    "DST:", "+PDP:", "+CPSMSTATUS:", "+CSMINS:", "+RECEIVE,",
    /* Telit */
    "SRING:", "#QSS:", "#PSNT:",
    /* Sierra Wireless */
    "+KSUP:", "+KUDP_DATA:", "+KUDP_IND:", "+KTCP_DATA:", "+KTCP_NOTIF:", "+KSTATEV:"};

static const char *const k_two_line_urcs[] = {"+CMT:", "+CDS:", "+CBM:"};
static const char *const k_binary_urcs[] = {"#XUDPDATA:", "#XTCPDATA:"};
static const char *const k_two_line_info[] = {"+CMGR:", "+CMGL:"};
static const char *const k_registration[] = {"+CREG:", "+CGREG:", "+CEREG:", "+C5GREG:"};

void nce_at_line_prefix(const char *line, char *out, size_t cap)
{
    const char *colon;
    size_t n;

    out[0] = '\0';
    if (line[0] == '\0' || strchr("+%#*^$", line[0]) == NULL) {
        if (strncmp(line, "SRING:", 6) == 0 || strncmp(line, "DST:", 4) == 0) {
            colon = strchr(line, ':');
            n = (size_t)(colon - line) + 1u;
            if (n < cap) {
                memcpy(out, line, n);
                out[n] = '\0';
            }
        }
        return;
    }
    colon = strchr(line, ':');
    if (colon == NULL) {
        if (strncmp(line, "+RECEIVE,", 9) == 0) {
            nce_at_strlcpy(out, "+RECEIVE,", cap);
        }
        return;
    }
    n = (size_t)(colon - line) + 1u;
    if (n >= cap) {
        n = cap - 1u; /* longer than any table entry: compares unequal to all of them */
    }
    memcpy(out, line, n);
    out[n] = '\0';
}

static int simcom_connection_urc(const char *line)
{
    static const char *const suffixes[] = {"CONNECT OK", "CONNECT FAIL", "ALREADY CONNECT", "CLOSED"};
    size_t i;

    if (!is_digit(line[0]) || line[1] != ',' || line[2] != ' ') {
        return 0;
    }
    for (i = 0; i < COUNT(suffixes); i++) {
        if (strcmp(line + 3, suffixes[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int nce_at_is_urc_line(const char *line, const char *prefix)
{
    if (prefix[0] != '\0') {
        return in_list(prefix, k_urc_prefixes, COUNT(k_urc_prefixes));
    }
    return in_list(line, k_urc_lines, COUNT(k_urc_lines)) || simcom_connection_urc(line);
}

int nce_at_is_boot_line(const char *line)
{
    return in_list(line, k_boot_lines, COUNT(k_boot_lines)) || strncmp(line, "+KSUP:", 6) == 0;
}

int nce_at_is_two_line_urc(const char *prefix)
{
    return in_list(prefix, k_two_line_urcs, COUNT(k_two_line_urcs));
}

int nce_at_is_binary_urc(const char *prefix)
{
    return in_list(prefix, k_binary_urcs, COUNT(k_binary_urcs));
}

int nce_at_is_two_line_info(const char *prefix)
{
    return in_list(prefix, k_two_line_info, COUNT(k_two_line_info));
}

int nce_at_unsolicited_by_shape(const char *line, const char *prefix)
{
    const char *value = line + strlen(prefix);

    if (in_list(prefix, k_registration, COUNT(k_registration))) {
        /* Read form "+CEREG: <n>,<stat>[,...]"; the URC has no <n> ("+CEREG: 5,"1A2B",...). */
        const char *comma = strchr(value, ',');

        if (comma == NULL) {
            return 1;
        }
        comma++;
        while (*comma == ' ' || *comma == '\t') {
            comma++;
        }
        return *comma == '"' ? 1 : 0;
    }
    if (strcmp(prefix, "+CIPRXGET:") == 0) {
        while (*value == ' ' || *value == '\t') {
            value++;
        }
        return (value[0] == '1' && value[1] == ',') ? 1 : 0;
    }
    return -1;
}

int nce_at_is_ipv4(const char *line)
{
    int part;

    for (part = 0; part < 4; part++) {
        int digits = 0;

        while (is_digit(*line)) {
            line++;
            digits++;
        }
        if (digits < 1 || digits > 3) {
            return 0;
        }
        if (part < 3) {
            if (*line != '.') {
                return 0;
            }
            line++;
        }
    }
    return *line == '\0';
}

/* ---- binary headers (framing.DEFAULT_BINARY_RULES) ---------------------------------------- */

/* Whole-line patterns: 'l' the length (digits), 'd' digits, 'q' a quoted string, else literal
 * (the literal prefixes are upper case, so the tokens never clash with them). */
static const char *const k_binary_rules[] = {
    "+QIRD: l", "+QIRD: l,q,d", "+QSSLRECV: l", "#XRECVFROM: l,q,d", "#XRECVFROM: d,d,l,q,d",
    "#XRECV: l", "#XRECV: d,d,l", "#XUDPDATA: l", "#XUDPDATA: l,q,d", "#XTCPDATA: l",
    "+CIPRXGET: 2,d,l,d", "#SRECV: d,l"};

static long match_rule(const char *pattern, const char *line)
{
    long length = -1;

    for (; *pattern != '\0'; pattern++) {
        if (*pattern == 'l' || *pattern == 'd') {
            long value = 0;
            int digits = 0;

            while (is_digit(*line)) {
                if (value < 100000000L) {
                    value = value * 10 + (*line - '0');
                }
                line++;
                digits++;
            }
            if (digits == 0) {
                return -1;
            }
            if (*pattern == 'l') {
                length = value;
            }
        } else if (*pattern == 'q') {
            if (*line != '"') {
                return -1;
            }
            line++;
            while (*line != '\0' && *line != '"') {
                line++;
            }
            if (*line != '"') {
                return -1;
            }
            line++;
        } else if (*pattern == *line) {
            line++;
        } else {
            return -1;
        }
    }
    return *line == '\0' ? length : -1;
}

long nce_at_binary_header_length(const char *line)
{
    size_t i;

    if (line[0] != '+' && line[0] != '#') {
        return -1;
    }
    for (i = 0; i < COUNT(k_binary_rules); i++) {
        long length = match_rule(k_binary_rules[i], line);

        if (length >= 0) {
            return length;
        }
    }
    return -1;
}

/* ---- timeouts (at_commands/timeouts.py) -------------------------------------------------- */

typedef struct {
    const char *name;
    uint32_t ms;
} timeout_entry_t;

static const timeout_entry_t k_timeouts[] = {
    {"+COPS", 180000u},   {"+CGACT", 150000u},  {"+QIACT", 150000u}, {"+QIDEACT", 40000u},
    {"+CGATT", 140000u},  {"+CMGS", 60000u},    {"+CMGW", 60000u},   {"+CFUN", 15000u},
    {"+CNACT", 60000u},   {"+CIICR", 85000u},   {"+UPSDA", 360000u}, {"+USOCO", 130000u},
    {"+CPWROFF", 40000u}, {"+QPOWD", 40000u},   {"+QIOPEN", 150000u}, {"+QISEND", 120000u},
    {"+CIPSTART", 75000u}, {"+CIPSEND", 60000u}, {"+CAOPEN", 60000u}, {"#SGACT", 150000u},
    {"#SD", 140000u},     {"+CRSM", 10000u},    {"%XICCID", 10000u}};

static const char *const k_quick_reads[] = {"+COPS", "+CGATT", "+CGACT", "+QIACT", "+CFUN", "+CNACT"};

uint32_t nce_at_default_timeout(const char *command)
{
    char name[24];
    size_t i;
    size_t len = strlen(command);

    if (!nce_at_command_name(command, name, sizeof name)) {
        return NCE_AT_DEFAULT_TIMEOUT_MS;
    }
    while (len > 0u && (command[len - 1u] == ' ' || command[len - 1u] == '\t')) {
        len--;
    }
    /* The read form "AT+COPS?" answers at once; only set/test forms can take long. */
    if (len > 0u && command[len - 1u] == '?' && in_list(name, k_quick_reads, COUNT(k_quick_reads))) {
        return NCE_AT_DEFAULT_TIMEOUT_MS;
    }
    for (i = 0; i < COUNT(k_timeouts); i++) {
        if (strcmp(name, k_timeouts[i].name) == 0) {
            return k_timeouts[i].ms;
        }
    }
    return NCE_AT_DEFAULT_TIMEOUT_MS;
}
