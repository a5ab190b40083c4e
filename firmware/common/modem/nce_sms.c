/*
 * nce_sms.c - SMS-DELIVER PDU decoding for the firmware's MT SMS channel (see nce_sms.h).
 */
#include "nce_sms.h"

#include <string.h>

/* GSM 03.38 default alphabet as UTF-8, indexed by septet. 0x1B (escape) shows a space when no
 * extension character follows, as 23.038 asks of receivers. */
static const char *const gsm7_default[128] = {
    "@", "\xc2\xa3", "$", "\xc2\xa5", "\xc3\xa8", "\xc3\xa9", "\xc3\xb9", "\xc3\xac",
    "\xc3\xb2", "\xc3\x87", "\x0a", "\xc3\x98", "\xc3\xb8", "\x0d", "\xc3\x85", "\xc3\xa5",
    "\xce\x94", "_", "\xce\xa6", "\xce\x93", "\xce\x9b", "\xce\xa9", "\xce\xa0", "\xce\xa8",
    "\xce\xa3", "\xce\x98", "\xce\x9e", " ", "\xc3\x86", "\xc3\xa6", "\xc3\x9f", "\xc3\x89",
    " ", "!", "\x22", "#", "\xc2\xa4", "%", "&", "'",
    "(", ")", "*", "+", ",", "-", ".", "/",
    "0", "1", "2", "3", "4", "5", "6", "7",
    "8", "9", ":", ";", "<", "=", ">", "\x3f",
    "\xc2\xa1", "A", "B", "C", "D", "E", "F", "G",
    "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W",
    "X", "Y", "Z", "\xc3\x84", "\xc3\x96", "\xc3\x91", "\xc3\x9c", "\xc2\xa7",
    "\xc2\xbf", "a", "b", "c", "d", "e", "f", "g",
    "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w",
    "x", "y", "z", "\xc3\xa4", "\xc3\xb6", "\xc3\xb1", "\xc3\xbc", "\xc3\xa0",
};

static const struct {
    uint8_t septet;
    const char *utf8;
} gsm7_extension[] = {
    {0x0Au, "\x0c"}, {0x14u, "^"}, {0x28u, "{"}, {0x29u, "}"}, {0x2Fu, "\x5c"},
    {0x3Cu, "["},    {0x3Du, "~"}, {0x3Eu, "]"}, {0x40u, "|"}, {0x65u, "\xe2\x82\xac"},
};

#define ESCAPE 0x1Bu

/* A PDU read octet by octet straight from its hex text, with bounds checks (no copy). */
typedef struct {
    const char *hex;
    size_t len; /* octets */
    size_t pos;
} reader_t;

/* The text being written, cut at a whole UTF-8 character when full. */
typedef struct {
    nce_sms_t *sms;
    size_t len;
} text_t;

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static uint8_t octet_at(const reader_t *r, size_t index)
{
    return (uint8_t)((hex_value(r->hex[2u * index]) << 4) | hex_value(r->hex[2u * index + 1u]));
}

/* Claim the next `count` octets; their first index goes to *start. */
static int take(reader_t *r, size_t count, size_t *start)
{
    if (r->len - r->pos < count) {
        return -1;
    }
    *start = r->pos;
    r->pos += count;
    return 0;
}

static int take_octet(reader_t *r, uint8_t *value)
{
    size_t at;

    if (take(r, 1u, &at) != 0) {
        return -1;
    }
    *value = octet_at(r, at);
    return 0;
}

/* Septet `index` of GSM 7-bit packed data that starts at octet `start` and has `octets` octets. */
static unsigned septet_at(const reader_t *r, size_t start, size_t octets, size_t index)
{
    size_t bit = index * 7u;
    unsigned value = octet_at(r, start + bit / 8u) >> (bit % 8u);

    if (bit % 8u > 1u && bit / 8u + 1u < octets) {
        value |= (unsigned)octet_at(r, start + bit / 8u + 1u) << (8u - bit % 8u);
    }
    return value & 0x7Fu;
}

static void put_utf8(text_t *t, const char *utf8)
{
    size_t n = strlen(utf8);

    if (t->sms->truncated != 0u || t->len + n > NCE_SMS_TEXT_MAX) {
        t->sms->truncated = 1u;
        return;
    }
    memcpy(&t->sms->text[t->len], utf8, n);
    t->len += n;
    t->sms->text[t->len] = '\0';
}

static void put_code_point(text_t *t, uint32_t cp)
{
    char utf8[5] = {0};

    if (cp < 0x80u) {
        utf8[0] = (char)cp;
    } else if (cp < 0x800u) {
        utf8[0] = (char)(0xC0u | (cp >> 6));
        utf8[1] = (char)(0x80u | (cp & 0x3Fu));
    } else if (cp < 0x10000u) {
        utf8[0] = (char)(0xE0u | (cp >> 12));
        utf8[1] = (char)(0x80u | ((cp >> 6) & 0x3Fu));
        utf8[2] = (char)(0x80u | (cp & 0x3Fu));
    } else {
        utf8[0] = (char)(0xF0u | (cp >> 18));
        utf8[1] = (char)(0x80u | ((cp >> 12) & 0x3Fu));
        utf8[2] = (char)(0x80u | ((cp >> 6) & 0x3Fu));
        utf8[3] = (char)(0x80u | (cp & 0x3Fu));
    }
    if (cp == 0u) {
        put_utf8(t, "?"); /* a NUL would end the C string early */
        return;
    }
    put_utf8(t, utf8);
}

/* The originating address: semi-octet digits (a '+' for international numbers), or GSM 7-bit
 * packed letters for an alphanumeric sender ("1NCE"). */
static nce_sms_status_t read_sender(reader_t *r, nce_sms_t *sms)
{
    uint8_t digits;
    uint8_t type;
    size_t start;
    size_t octets;
    size_t out = 0;
    size_t i;

    if (take_octet(r, &digits) != 0 || take_octet(r, &type) != 0) {
        return NCE_SMS_SHORT;
    }
    octets = (digits + 1u) / 2u;
    if (take(r, octets, &start) != 0) {
        return NCE_SMS_SHORT;
    }
    if ((type & 0x70u) == 0x50u) { /* alphanumeric: `digits` counts semi-octets of packed text */
        size_t septets = (size_t)digits * 4u / 7u;

        for (i = 0; i < septets && out < NCE_SMS_SENDER_MAX; i++) {
            unsigned value = septet_at(r, start, octets, i);
            const char *utf8 = gsm7_default[value];

            sms->sender[out++] = (utf8[1] == '\0' && utf8[0] >= ' ') ? utf8[0] : '?';
        }
        sms->sender[out] = '\0';
        return NCE_SMS_OK;
    }
    if ((type & 0x70u) == 0x10u) {
        sms->sender[out++] = '+';
    }
    for (i = 0; i < digits && out < NCE_SMS_SENDER_MAX; i++) {
        uint8_t both = octet_at(r, start + i / 2u);
        unsigned nibble = (i % 2u == 0u) ? (both & 0x0Fu) : (unsigned)(both >> 4);

        sms->sender[out++] = nibble < 10u ? (char)('0' + nibble) : "*#abc?"[nibble < 15u ? nibble - 10u : 5u];
    }
    sms->sender[out] = '\0';
    return NCE_SMS_OK;
}

/* The user data header (after its length octet): concatenation references. */
static void read_header(const reader_t *r, size_t start, size_t len, nce_sms_t *sms)
{
    size_t pos = 0;

    sms->has_header = 1u;
    while (pos + 2u <= len) {
        uint8_t id = octet_at(r, start + pos);
        uint8_t ie_len = octet_at(r, start + pos + 1u);

        if (pos + 2u + ie_len > len) {
            return;
        }
        if (id == 0x00u && ie_len == 3u) { /* 8-bit reference */
            sms->parts = octet_at(r, start + pos + 3u);
            sms->part = octet_at(r, start + pos + 4u);
        } else if (id == 0x08u && ie_len == 4u) { /* 16-bit reference */
            sms->parts = octet_at(r, start + pos + 4u);
            sms->part = octet_at(r, start + pos + 5u);
        }
        pos += 2u + ie_len;
    }
}

static void decode_gsm7(const reader_t *r, size_t start, size_t octets, size_t septets, size_t skip,
                        text_t *t)
{
    uint8_t escaped = 0u;
    size_t i;

    for (i = skip; i < septets; i++) {
        unsigned value = septet_at(r, start, octets, i);

        if (escaped != 0u) {
            size_t k;
            const char *utf8 = gsm7_default[value]; /* unknown extension: the base character */

            for (k = 0; k < sizeof gsm7_extension / sizeof gsm7_extension[0]; k++) {
                if (gsm7_extension[k].septet == value) {
                    utf8 = gsm7_extension[k].utf8;
                }
            }
            put_utf8(t, utf8);
            escaped = 0u;
        } else if (value == ESCAPE) {
            escaped = 1u;
        } else {
            put_utf8(t, gsm7_default[value]);
        }
    }
    if (escaped != 0u) {
        put_utf8(t, " ");
    }
}

static void decode_ucs2(const reader_t *r, size_t start, size_t len, text_t *t)
{
    size_t i;

    for (i = 0; i + 1u < len; i += 2u) {
        uint32_t unit = ((uint32_t)octet_at(r, start + i) << 8) | octet_at(r, start + i + 1u);

        if (unit >= 0xD800u && unit < 0xDC00u && i + 3u < len) {
            uint32_t low = ((uint32_t)octet_at(r, start + i + 2u) << 8) | octet_at(r, start + i + 3u);

            if (low >= 0xDC00u && low < 0xE000u) {
                put_code_point(t, 0x10000u + ((unit - 0xD800u) << 10) + (low - 0xDC00u));
                i += 2u;
                continue;
            }
        }
        put_code_point(t, (unit >= 0xD800u && unit < 0xE000u) ? 0xFFFDu : unit);
    }
}

static void decode_8bit(const reader_t *r, size_t start, size_t len, text_t *t)
{
    size_t i;

    for (i = 0; i < len; i++) { /* data, not text: printable ASCII as is, the rest as '?' */
        uint8_t value = octet_at(r, start + i);
        char c[2] = {(value >= 0x20u && value < 0x7Fu) ? (char)value : '?', '\0'};

        put_utf8(t, c);
    }
}

/* 23.038 coding groups: general data coding (00xx, bit 5 = compressed) and data coding/message
 * class (1111). Returns the alphabet (0 GSM 7-bit, 1 8-bit, 2 UCS-2) or -1. */
static int alphabet_of(uint8_t dcs)
{
    if ((dcs & 0xC0u) == 0x00u) {
        return (dcs & 0x20u) != 0u ? -1 : (int)((dcs >> 2) & 0x03u) % 3;
    }
    if ((dcs & 0xF0u) == 0xF0u) {
        return (int)((dcs >> 2) & 0x01u);
    }
    return -1;
}

static nce_sms_status_t decode(reader_t *r, nce_sms_t *out)
{
    uint8_t value;
    uint8_t first;
    uint8_t dcs;
    uint8_t udl;
    size_t start;
    size_t ud_octets;
    size_t header = 0;
    int alphabet;
    text_t text = {out, 0u};
    nce_sms_status_t status;

    /* SMSC: a length octet and that many octets (not needed here), then TP-MTI & co. */
    if (take_octet(r, &value) != 0 || take(r, value, &start) != 0 || take_octet(r, &first) != 0) {
        return NCE_SMS_SHORT;
    }
    if ((first & 0x03u) != 0x00u) {
        return NCE_SMS_NOT_DELIVER;
    }
    status = read_sender(r, out);
    if (status != NCE_SMS_OK) {
        return status;
    }
    /* TP-PID, TP-DCS, TP-SCTS (7 octets), TP-UDL */
    if (take_octet(r, &value) != 0 || take_octet(r, &dcs) != 0 || take(r, 7u, &start) != 0 ||
        take_octet(r, &udl) != 0) {
        return NCE_SMS_SHORT;
    }
    alphabet = alphabet_of(dcs);
    if (alphabet < 0) {
        return NCE_SMS_BAD_DCS;
    }
    ud_octets = alphabet == 0 ? ((size_t)udl * 7u + 7u) / 8u : udl;
    if (take(r, ud_octets, &start) != 0) {
        return NCE_SMS_SHORT;
    }
    if ((first & 0x40u) != 0u) { /* TP-UDHI */
        size_t udh_len = ud_octets > 0u ? octet_at(r, start) : 0u;

        if (ud_octets == 0u || 1u + udh_len > ud_octets) {
            return NCE_SMS_SHORT;
        }
        read_header(r, start + 1u, udh_len, out);
        header = 1u + udh_len;
    }
    if (alphabet == 0) {
        /* the header occupies whole septets (with fill bits) at the start */
        decode_gsm7(r, start, ud_octets, udl, (header * 8u + 6u) / 7u, &text);
    } else if (alphabet == 2) {
        decode_ucs2(r, start + header, ud_octets - header, &text);
    } else {
        decode_8bit(r, start + header, ud_octets - header, &text);
    }
    return NCE_SMS_OK;
}

nce_sms_status_t nce_sms_decode_deliver(const char *hex, size_t len, nce_sms_t *out)
{
    reader_t reader = {hex, len / 2u, 0u};
    nce_sms_status_t status;
    size_t i;

    memset(out, 0, sizeof *out);
    if (hex == NULL || len % 2u != 0u) {
        return NCE_SMS_BAD_HEX;
    }
    for (i = 0; i < len; i++) {
        if (hex_value(hex[i]) < 0) {
            return NCE_SMS_BAD_HEX;
        }
    }
    status = decode(&reader, out);
    if (status != NCE_SMS_OK) {
        memset(out, 0, sizeof *out);
    }
    return status;
}

/* ---- SMS-SUBMIT (MO) ---------------------------------------------------------------------- */

/* The GSM 7-bit code of an ASCII character of the default alphabet, or '?' (0x3F). */
static uint8_t gsm7_of_ascii(char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        return (uint8_t)c;
    }
    switch (c) {
    case '@': return 0x00u;
    case '$': return 0x02u;
    case '_': return 0x11u;
    case '\n': return 0x0Au;
    case '\r': return 0x0Du;
    case ' ': case '!': case '"': case '#': case '%': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case '-': case '.': case '/': case ':': case ';': case '<':
    case '=': case '>': case '?':
        return (uint8_t)c;
    default: return 0x3Fu;
    }
}

static int is_continuation(char c)
{
    return ((unsigned char)c & 0xC0u) == 0x80u;
}

typedef struct {
    char *hex;
    size_t cap;
    size_t len;
} hex_out_t;

static int put_octet(hex_out_t *out, unsigned value)
{
    static const char digits[] = "0123456789ABCDEF";

    if (out->len + 3u > out->cap) {
        return -1;
    }
    out->hex[out->len++] = digits[(value >> 4) & 0x0Fu];
    out->hex[out->len++] = digits[value & 0x0Fu];
    out->hex[out->len] = '\0';
    return 0;
}

nce_sms_status_t nce_sms_encode_submit(const char *number, const char *text, char *hex, size_t cap,
                                       uint8_t *tpdu_len)
{
    hex_out_t out = {hex, cap, 0u};
    const char *digits = number[0] == '+' ? number + 1 : number;
    size_t ndigits = strlen(digits);
    size_t septets = 0;
    size_t i;
    unsigned acc = 0;
    unsigned bits = 0;

    if (cap > 0u) {
        hex[0] = '\0';
    }
    if (ndigits == 0u || ndigits > 20u) {
        return NCE_SMS_BAD_HEX;
    }
    for (i = 0; i < ndigits; i++) {
        if (digits[i] < '0' || digits[i] > '9') {
            return NCE_SMS_BAD_HEX;
        }
    }
    for (i = 0; text[i] != '\0'; i++) { /* characters: a UTF-8 sequence is one ('?') */
        septets += is_continuation(text[i]) ? 0u : 1u;
    }
    if (septets > 160u) {
        septets = 160u;
    }
    /* SMSC "00" (the modem's), SMS-SUBMIT without validity period, TP-MR 0 (the modem sets it),
     * TP-DA, TP-PID 0, TP-DCS 0 (GSM 7-bit), TP-UDL in septets. */
    if (put_octet(&out, 0x00u) != 0 || put_octet(&out, 0x01u) != 0 || put_octet(&out, 0x00u) != 0 ||
        put_octet(&out, (unsigned)ndigits) != 0 || put_octet(&out, number[0] == '+' ? 0x91u : 0x81u) != 0) {
        return NCE_SMS_SHORT;
    }
    for (i = 0; i < ndigits; i += 2u) {
        unsigned low = (unsigned)(digits[i] - '0');
        unsigned high = i + 1u < ndigits ? (unsigned)(digits[i + 1u] - '0') : 0x0Fu;

        if (put_octet(&out, (high << 4) | low) != 0) {
            return NCE_SMS_SHORT;
        }
    }
    if (put_octet(&out, 0x00u) != 0 || put_octet(&out, 0x00u) != 0 || put_octet(&out, (unsigned)septets) != 0) {
        return NCE_SMS_SHORT;
    }
    for (i = 0; septets > 0u; i++) { /* pack 7-bit codes little-endian into octets */
        if (is_continuation(text[i])) {
            continue;
        }
        septets--;
        acc |= (unsigned)gsm7_of_ascii(text[i]) << bits;
        bits += 7u;
        while (bits >= 8u) {
            if (put_octet(&out, acc & 0xFFu) != 0) {
                return NCE_SMS_SHORT;
            }
            acc >>= 8;
            bits -= 8u;
        }
    }
    if (bits > 0u) {
        if (put_octet(&out, acc & 0xFFu) != 0) {
            return NCE_SMS_SHORT;
        }
    }
    *tpdu_len = (uint8_t)(out.len / 2u - 1u); /* everything after the SMSC octet */
    return NCE_SMS_OK;
}
