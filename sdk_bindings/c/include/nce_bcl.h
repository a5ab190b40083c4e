/*
 * nce_bcl.h - template-driven Energy Saver (BCL) encoder.
 *
 * A BCL template (the JSON that 1NCE OS uses to decode a binary payload) is turned into constant
 * tables by `hil bcl gen-c TEMPLATE.json > template.h`. nce_bcl_encode() walks those tables and
 * writes the payload that 1NCE OS decodes back into the values given: int/uint of 1, 2, 4, 8
 * bytes, float of 4 or 8 bytes, boolean, string (NUL-padded to its bytelength), hex (raw bytes),
 * big or little byte order, byte / endbyte / byte..endbyte positions, switch/case/default.
 *
 * Values are given per "slot": one slot per asset mapped from the payload and one per switch
 * (the selector value, which picks the case). The generated header names the slots.
 *
 * Payload length: the end of the last byte-addressed field on the path the values select, plus
 * the largest -endbyte of the endbyte-addressed fields (they go after the byte-addressed ones);
 * a byte..endbyte range field (string or hex) fixes the length to byte + its length - endbyte.
 * Gaps are zero. No dynamic memory, no global state.
 */
#ifndef NCE_BCL_H
#define NCE_BCL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Field types (nce_bcl_stmt_t.type). */
#define NCE_BCL_INT 0u     /* two's complement, bytelength 1, 2, 4, 8: value.as.i */
#define NCE_BCL_UINT 1u    /* unsigned, bytelength 1, 2, 4, 8: value.as.u */
#define NCE_BCL_FLOAT 2u   /* IEEE-754: bytelength 4 value.as.f32, bytelength 8 value.as.f */
#define NCE_BCL_BOOLEAN 3u /* 1 in the least significant byte for true: value.as.i != 0 */
#define NCE_BCL_STRING 4u  /* UTF-8, NUL-padded to bytelength: value.as.b */
#define NCE_BCL_HEX 5u     /* raw bytes, exactly bytelength of them: value.as.b */

/* Statement kinds (nce_bcl_stmt_t.op). */
#define NCE_BCL_OP_FIELD 0u   /* write values[slot] into the field */
#define NCE_BCL_OP_SWITCH 1u  /* write values[slot] into the selector, run the matching case */
#define NCE_BCL_OP_CASE 2u    /* header of a case; cases[slot] is its constant */
#define NCE_BCL_OP_DEFAULT 3u /* header of the default case */

/* Field flags (nce_bcl_stmt_t.flags). */
#define NCE_BCL_F_LITTLE 0x01u  /* little-endian numbers */
#define NCE_BCL_F_BYTE 0x02u    /* `byte` is set */
#define NCE_BCL_F_ENDBYTE 0x04u /* `endbyte` is set (both set: a byte..endbyte range) */

/* Template flags (nce_bcl_template_t.flags). */
#define NCE_BCL_T_CHECK_OVERLAP 0x01u /* fields may overlap: verify they agree after writing */

/* Errors (negative return values of nce_bcl_encode). */
#define NCE_BCL_ERR_ARGUMENT (-1) /* NULL pointer, or fewer values than the template's slots */
#define NCE_BCL_ERR_TEMPLATE (-2) /* malformed tables (bad op, length, jump or slot) */
#define NCE_BCL_ERR_CAPACITY (-3) /* the payload does not fit the output buffer */
#define NCE_BCL_ERR_RANGE (-4)    /* an integer does not fit its field */
#define NCE_BCL_ERR_LENGTH (-5)   /* a string longer than its field, or hex of the wrong length */
#define NCE_BCL_ERR_VALUE (-6)    /* a string ending in NUL, or NULL data with a length */
#define NCE_BCL_ERR_LAYOUT (-7)   /* no payload length satisfies the fields (e.g. two ranges) */
#define NCE_BCL_ERR_CONFLICT (-8) /* overlapping fields want different bytes */

/* One value. Which member is read depends on the field type (see above). */
typedef struct nce_bcl_value {
    union {
        int64_t i;
        uint64_t u;
        double f;
        float f32;
        struct {
            const uint8_t *data;
            size_t length;
        } b;
    } as;
} nce_bcl_value_t;

/* Compound-literal helpers, e.g. values[SLOT] = NCE_BCL_I(-5); NCE_BCL_F32 for 4-byte floats
 * (no double arithmetic is needed for them, which matters on FPU-less or single-precision MCUs). */
#define NCE_BCL_I(v) ((nce_bcl_value_t){ .as = { .i = (int64_t)(v) } })
#define NCE_BCL_U(v) ((nce_bcl_value_t){ .as = { .u = (uint64_t)(v) } })
#define NCE_BCL_F(v) ((nce_bcl_value_t){ .as = { .f = (double)(v) } })
#define NCE_BCL_F32(v) ((nce_bcl_value_t){ .as = { .f32 = (float)(v) } })
#define NCE_BCL_B(p, n) ((nce_bcl_value_t){ .as = { .b = { (const uint8_t *)(p), (size_t)(n) } } })
#define NCE_BCL_S(literal) NCE_BCL_B(literal, sizeof(literal) - 1u)

/*
 * One statement, in pre-order: a SWITCH is followed by its case headers, each followed by its
 * body; `next` of a header is the index of the following header (or the switch's end), `end` of
 * a SWITCH and of its headers is the index of the first statement after the whole switch.
 */
typedef struct nce_bcl_stmt {
    uint8_t op;       /* NCE_BCL_OP_* */
    uint8_t type;     /* FIELD, SWITCH: NCE_BCL_INT..NCE_BCL_HEX */
    uint8_t flags;    /* FIELD, SWITCH: NCE_BCL_F_* */
    uint8_t reserved;
    uint16_t slot;    /* FIELD, SWITCH: value slot; CASE: index into cases[] */
    uint16_t byte;    /* FIELD, SWITCH: start offset (with NCE_BCL_F_BYTE) */
    int16_t endbyte;  /* FIELD, SWITCH: offset from the end, <= 0 (with NCE_BCL_F_ENDBYTE) */
    uint16_t length;  /* FIELD, SWITCH: bytelength; 0 for a byte..endbyte range */
    uint16_t next;    /* CASE, DEFAULT: index of the next header or of the switch's end */
    uint16_t end;     /* SWITCH, CASE, DEFAULT: index of the first statement after the switch */
} nce_bcl_stmt_t;

typedef struct nce_bcl_template {
    const nce_bcl_stmt_t *stmts;
    const nce_bcl_value_t *cases; /* case constants, read like a value of the switch's type */
    uint16_t stmt_count;
    uint16_t case_count;
    uint16_t value_count; /* slots the caller provides */
    uint8_t flags;        /* NCE_BCL_T_* */
} nce_bcl_template_t;

/*
 * Encodes values (count >= tpl->value_count) into out. Returns the payload length, or a negative
 * NCE_BCL_ERR_*. Nothing beyond capacity is written.
 */
int nce_bcl_encode(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                   uint8_t *out, size_t capacity);

/* Like nce_bcl_encode(); on failure *failed_stmt (if not NULL) is the index of the statement
 * that failed, or tpl->stmt_count when the failure concerns no single statement. */
int nce_bcl_encode_at(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                      uint8_t *out, size_t capacity, size_t *failed_stmt);

#ifdef __cplusplus
}
#endif

#endif /* NCE_BCL_H */
