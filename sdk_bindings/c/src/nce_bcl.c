/* nce_bcl.c - template-driven Energy Saver (BCL) encoder; see nce_bcl.h.
 *
 * Up to three walks over the statements the values select: collect the payload length, write
 * every field, and (when fields may overlap) verify that every field still holds its bytes. One
 * function, prepare(), checks a value against its field and turns it into a byte view; writing,
 * verifying and matching switch cases all read the field's bytes through view_byte(). */
#include "nce_bcl.h"
#include "nce_bytes.h"

#include <limits.h>
#include <string.h>

#define PASS_LAYOUT 0
#define PASS_WRITE 1
#define PASS_VERIFY 2

/* One walk over the template, and what the layout walk found. */
typedef struct walk {
    const nce_bcl_template_t *tpl;
    const nce_bcl_value_t *values;
    size_t count;
    size_t at;        /* the statement being looked at (reported on failure) */
    uint8_t *out;
    size_t fixed_end; /* end of the last byte-addressed field */
    size_t tail;      /* largest -endbyte of the endbyte-addressed fields */
    size_t total;     /* length fixed by a byte..endbyte range (has_total), then the payload's */
    int has_total;
} walk_t;

/* A field's bytes: text or raw bytes, or a number's bytes least significant first (in `number`,
 * reversed for big-endian fields). Field bytes beyond `length` are zero. */
typedef struct view {
    const uint8_t *data;
    size_t length;
    int reverse;
    uint8_t number[8];
} view_t;

static int is_range(const nce_bcl_stmt_t *s)
{
    const unsigned both = NCE_BCL_F_BYTE | NCE_BCL_F_ENDBYTE;

    return (s->flags & both) == both;
}

/* The length of an n-byte field; a byte..endbyte range is as long as its value. */
static size_t field_length(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v)
{
    return is_range(s) ? v->as.b.length : s->length;
}

/*
 * Checks a value against an n-byte field of the statement's type and makes its byte view. With
 * matching (comparing a selector with a case constant), a float zero loses its sign: +0 == -0.
 */
static int prepare(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, size_t n, view_t *src,
                   int matching)
{
    /* Bit n set: n bytes suit the number type (n <= 8; a boolean may also be longer). */
    static const uint16_t number_lengths[4] = { 0x116u, 0x116u, 0x110u, 0x1FEu };
    uint64_t bits = v->as.u;
    size_t k;

    if (s->type > NCE_BCL_HEX) {
        return NCE_BCL_ERR_TEMPLATE;
    }
    if (s->type >= NCE_BCL_STRING) {
        size_t len = v->as.b.length;
        if (v->as.b.data == NULL && len > 0u) {
            return NCE_BCL_ERR_VALUE;
        }
        if ((s->type == NCE_BCL_HEX) ? len != n : len > n) {
            return NCE_BCL_ERR_LENGTH;
        }
        if (s->type == NCE_BCL_STRING && len > 0u && v->as.b.data[len - 1u] == 0u) {
            return NCE_BCL_ERR_VALUE; /* decoders strip trailing NULs: it would not come back */
        }
        src->data = v->as.b.data;
        src->length = len;
        src->reverse = 0;
        return 0;
    }
    if ((n > 8u) ? s->type != NCE_BCL_BOOLEAN : ((number_lengths[s->type] >> n) & 1u) == 0u) {
        return NCE_BCL_ERR_TEMPLATE;
    }
    if (s->type == NCE_BCL_BOOLEAN) {
        bits = (v->as.i != 0);
    } else if (s->type == NCE_BCL_FLOAT) {
        bits = (n == 4u) ? nce_float_bits(v->as.f32) : nce_double_bits(v->as.f);
        if (matching && bits == ((n == 4u) ? 0x80000000u : 0x8000000000000000u)) {
            bits = 0u; /* -0 (only the sign bit set) and +0 select the same case */
        }
    }
    src->data = src->number;
    src->length = sizeof src->number;
    src->reverse = (s->flags & NCE_BCL_F_LITTLE) == 0u;
    for (k = 0u; k < sizeof src->number; k++) {
        src->number[k] = (uint8_t)bits;
        bits >>= 8;
    }
    if (s->type <= NCE_BCL_UINT) { /* bytes beyond n must be the sign extension of byte n-1 */
        uint8_t fill = (s->type == NCE_BCL_INT && (src->number[n - 1u] & 0x80u) != 0u) ? 0xFFu : 0u;
        for (k = n; k < sizeof src->number; k++) {
            if (src->number[k] != fill) {
                return NCE_BCL_ERR_RANGE;
            }
        }
    }
    return 0;
}

/* Byte i of an n-byte field. */
static uint8_t view_byte(const view_t *src, size_t i, size_t n)
{
    size_t j = src->reverse ? n - 1u - i : i;

    return (j < src->length) ? src->data[j] : 0u;
}

/* Whether the selector value picks this case: both give the same field bytes (+0 == -0). */
static int case_matches(const nce_bcl_stmt_t *sw, const nce_bcl_value_t *v,
                        const nce_bcl_value_t *c)
{
    view_t a;
    view_t b;
    size_t n = field_length(sw, v);
    size_t i;

    if (is_range(sw) && c->as.b.length != n) {
        return 0;
    }
    if (prepare(sw, v, n, &a, 1) != 0 || prepare(sw, c, n, &b, 1) != 0) {
        return 0;
    }
    for (i = 0u; i < n; i++) {
        if (view_byte(&a, i, n) != view_byte(&b, i, n)) {
            return 0;
        }
    }
    return 1;
}

/* Index of the first body statement of the case the selector value picks, or the switch end;
 * 0 (never a valid target) for malformed tables. */
static size_t select_case(const walk_t *w, const nce_bcl_stmt_t *sw)
{
    const nce_bcl_template_t *t = w->tpl;
    size_t j = w->at + 1u;
    size_t fallback = sw->end;

    if (sw->end <= w->at || sw->end > t->stmt_count) {
        return 0u;
    }
    while (j < sw->end) {
        const nce_bcl_stmt_t *h = &t->stmts[j];
        if (h->next <= j || h->next > sw->end || h->end != sw->end) {
            return 0u;
        }
        if (h->op == NCE_BCL_OP_DEFAULT) {
            fallback = j + 1u;
        } else if (h->op != NCE_BCL_OP_CASE || h->slot >= t->case_count) {
            return 0u;
        } else if (case_matches(sw, &w->values[sw->slot], &t->cases[h->slot])) {
            return j + 1u;
        }
        j = h->next;
    }
    return fallback;
}

/* Adds a field to the payload length constraints (the layout walk). */
static int add_to_layout(walk_t *w, const nce_bcl_stmt_t *s, size_t n)
{
    size_t back = (size_t)(-(long)s->endbyte);

    if (s->endbyte > 0) {
        return NCE_BCL_ERR_TEMPLATE;
    }
    if (is_range(s)) {
        size_t total = (size_t)s->byte + n + back;
        if (s->type != NCE_BCL_STRING && s->type != NCE_BCL_HEX) {
            return NCE_BCL_ERR_TEMPLATE;
        }
        if (total < n || (w->has_total && total != w->total)) {
            return NCE_BCL_ERR_LAYOUT;
        }
        w->total = total;
        w->has_total = 1;
    } else if (n == 0u) {
        return NCE_BCL_ERR_TEMPLATE;
    } else if ((s->flags & NCE_BCL_F_BYTE) != 0u) {
        size_t end = (size_t)s->byte + n;
        w->fixed_end = (end > w->fixed_end) ? end : w->fixed_end;
    } else if ((s->flags & NCE_BCL_F_ENDBYTE) != 0u && n <= back) {
        w->tail = (back > w->tail) ? back : w->tail;
    } else {
        return NCE_BCL_ERR_TEMPLATE;
    }
    return 0;
}

/* Writes (or, in the verify walk, checks that the payload still holds) an n-byte field. */
static int put_field(walk_t *w, const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, size_t n,
                     int pass)
{
    size_t back = (size_t)(-(long)s->endbyte); /* endbyte <= 0: checked by the layout walk */
    size_t start = ((s->flags & NCE_BCL_F_BYTE) != 0u) ? s->byte : w->total - back;
    view_t src;
    size_t i;
    int rc = prepare(s, v, n, &src, 0);

    for (i = 0u; rc == 0 && i < n; i++) {
        uint8_t b = view_byte(&src, i, n);
        if (pass == PASS_WRITE) {
            w->out[start + i] = b;
        } else if (w->out[start + i] != b) {
            rc = NCE_BCL_ERR_CONFLICT;
        }
    }
    return rc;
}

/* One walk over the path the values select, handing every FIELD and SWITCH selector to the
 * pass. A case header reached by walking ends the executed case body: on to the switch's end. */
static int run_pass(walk_t *w, int pass)
{
    const nce_bcl_template_t *t = w->tpl;
    size_t next = 0u;

    while (next < t->stmt_count) {
        const nce_bcl_stmt_t *s = &t->stmts[next];
        const nce_bcl_value_t *v;
        size_t target = next + 1u;
        int rc;
        w->at = next;
        if (s->op == NCE_BCL_OP_CASE || s->op == NCE_BCL_OP_DEFAULT) {
            if (s->end <= next || s->end > t->stmt_count) {
                return NCE_BCL_ERR_TEMPLATE;
            }
            next = s->end;
            continue;
        }
        if (s->op > NCE_BCL_OP_SWITCH || s->slot >= w->count) {
            return NCE_BCL_ERR_TEMPLATE;
        }
        if (s->op == NCE_BCL_OP_SWITCH) {
            target = select_case(w, s);
        }
        if (target == 0u) {
            return NCE_BCL_ERR_TEMPLATE;
        }
        v = &w->values[s->slot];
        rc = (pass == PASS_LAYOUT) ? add_to_layout(w, s, field_length(s, v))
                                   : put_field(w, s, v, field_length(s, v), pass);
        if (rc != 0) {
            return rc;
        }
        next = target;
    }
    return 0;
}

/* The payload length from the layout walk's constraints. */
static int payload_length(walk_t *w, size_t capacity)
{
    if (!w->has_total) {
        w->total = w->fixed_end + w->tail;
    }
    if (w->fixed_end > w->total || w->tail > w->total || w->total > (size_t)INT_MAX) {
        return NCE_BCL_ERR_LAYOUT;
    }
    return (w->total > capacity) ? NCE_BCL_ERR_CAPACITY : 0;
}

int nce_bcl_encode_at(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                      uint8_t *out, size_t capacity, size_t *failed_stmt)
{
    walk_t w = { .tpl = tpl, .values = values, .count = count, .out = out };
    int rc = NCE_BCL_ERR_ARGUMENT;

    if (tpl != NULL && (tpl->stmts != NULL || tpl->stmt_count == 0u) &&
        (tpl->cases != NULL || tpl->case_count == 0u) && (values != NULL || count == 0u) &&
        count >= tpl->value_count && (out != NULL || capacity == 0u)) {
        rc = run_pass(&w, PASS_LAYOUT);
        if (rc == 0) {
            w.at = tpl->stmt_count;
            rc = payload_length(&w, capacity);
        }
        if (rc == 0 && w.total > 0u) {
            memset(out, 0, w.total);
            rc = run_pass(&w, PASS_WRITE);
            if (rc == 0 && (tpl->flags & NCE_BCL_T_CHECK_OVERLAP) != 0u) {
                rc = run_pass(&w, PASS_VERIFY);
            }
        }
    }
    if (rc != 0 && failed_stmt != NULL) {
        *failed_stmt = w.at;
    }
    return (rc != 0) ? rc : (int)w.total;
}

int nce_bcl_encode(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                   uint8_t *out, size_t capacity)
{
    return nce_bcl_encode_at(tpl, values, count, out, capacity, NULL);
}
