/*
 * nce_at_tables.h - what AT lines mean (private to the AT driver): finals, URC prefixes, boot
 * lines, per-command behaviour, binary headers, timeouts. The C twin of at_commands/grammar.py,
 * framing.py (binary rules) and timeouts.py.
 */
#ifndef NCE_AT_TABLES_H
#define NCE_AT_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "nce_at.h"

/* Behaviour flags of a command (grammar.CommandBehaviour). */
#define NCE_AT_B_PROMPT 0x01u         /* waits for "> " before its payload */
#define NCE_AT_B_SEND_FINALS 0x02u    /* SEND OK / SEND FAIL end it */
#define NCE_AT_B_EXPECTS_REBOOT 0x04u /* a boot banner after it is its success */
#define NCE_AT_B_FINAL_CONNECT 0x08u  /* CONNECT ends it (ATD) */
#define NCE_AT_B_FINAL_IPV4 0x10u     /* a bare IPv4 line carries the answer and ends it */
#define NCE_AT_B_CIP_FINALS 0x20u     /* SIMCom "n, SEND OK", "DATA ACCEPT:n", CLOSE OK, SHUT OK */

uint8_t nce_at_behaviour_of(const char *command);
/* The info prefixes ("+CSQ:") of a (chained) command line; returns how many were stored. */
unsigned nce_at_info_prefixes(const char *command, char prefixes[][16], unsigned max);
/* The command's name ("+QIRD", "%XICCID", "#XSOCKET", "I", "D") into out (upper case); 0 if none. */
int nce_at_command_name(const char *command, char *out, size_t cap);

nce_at_final_t nce_at_final_of(const char *line, uint8_t behaviour);
int nce_at_error_code(const char *line);

/* The "+XYZ:"-style prefix of a line (up to and including the colon), "" for a bare line. */
void nce_at_line_prefix(const char *line, char *out, size_t cap);
int nce_at_is_urc_line(const char *line, const char *prefix);
int nce_at_is_boot_line(const char *line);
int nce_at_is_two_line_urc(const char *prefix);
int nce_at_is_binary_urc(const char *prefix);
int nce_at_is_two_line_info(const char *prefix);
/* 1 = URC, 0 = answer, -1 = no shape rule for this prefix. */
int nce_at_unsolicited_by_shape(const char *line, const char *prefix);
int nce_at_is_ipv4(const char *line);
/* The payload length a binary header line announces, or -1 when the line is no header. */
long nce_at_binary_header_length(const char *line);

#endif /* NCE_AT_TABLES_H */
