/*
 * nce_sms.h - decoding an MT SMS (SMS-DELIVER PDU, 3GPP TS 23.040 / 23.038) as modems hand it
 * over in PDU mode (+CMGR body, +CMT body): the hex text with the SMSC field in front.
 *
 * The firmware reads MT SMS as a configuration channel ("interval=30"), so the text is what
 * matters: GSM 7-bit (default alphabet and extension table), UCS-2 (incl. surrogate pairs) and
 * 8-bit data are turned into UTF-8; a user data header (concatenation, ports) is skipped and
 * reported. No malloc, no libc beyond string.h.
 */
#ifndef NCE_SMS_H
#define NCE_SMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NCE_SMS_SENDER_MAX 23u /* digits (with a leading '+' for international numbers) */
#define NCE_SMS_TEXT_MAX 160u  /* bytes of UTF-8 kept; longer texts are cut at a character */

typedef enum {
    NCE_SMS_OK = 0,
    NCE_SMS_BAD_HEX = -1,     /* not an even number of hex digits */
    NCE_SMS_NOT_DELIVER = -2, /* TP-MTI is not SMS-DELIVER */
    NCE_SMS_SHORT = -3,       /* the PDU ends before a field it announces */
    NCE_SMS_BAD_DCS = -4      /* a data coding the decoder does not know (e.g. compressed) */
} nce_sms_status_t;

typedef struct {
    char sender[NCE_SMS_SENDER_MAX + 1u];
    char text[NCE_SMS_TEXT_MAX + 1u];
    uint8_t truncated;   /* the text did not fit into `text` */
    uint8_t has_header;  /* a user data header was present (e.g. one part of a long SMS) */
    uint8_t part;        /* concatenation: this part (1-based) of `parts`; 0 when not concatenated */
    uint8_t parts;
} nce_sms_t;

/* Encode an MO SMS as an SMS-SUBMIT PDU in hex for AT+CMGS in PDU mode: "00" (the modem's SMSC)
 * then the TPDU, whose length in octets goes to *tpdu_len (AT+CMGS=<length>). `number` is digits
 * with an optional leading '+' (international); `text` is GSM 7-bit, at most 160 characters of
 * the default alphabet that ASCII shares (letters, digits, space and !"#%&'()*+,-./:;<=>?@_$);
 * other characters (a UTF-8 sequence is one) become '?'. Returns NCE_SMS_OK, NCE_SMS_SHORT when `hex` is too small,
 * NCE_SMS_BAD_HEX when the number is not digits (1..20). */
nce_sms_status_t nce_sms_encode_submit(const char *number, const char *text, char *hex, size_t cap,
                                       uint8_t *tpdu_len);

/* Decode the SMS-DELIVER PDU in `hex` (`len` characters; the SMSC field first, as +CMGR gives
 * it). On any error `out` holds empty strings. */
nce_sms_status_t nce_sms_decode_deliver(const char *hex, size_t len, nce_sms_t *out);

#ifdef __cplusplus
}
#endif

#endif /* NCE_SMS_H */
