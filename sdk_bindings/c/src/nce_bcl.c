/* nce_bcl.c - template-driven Energy Saver (BCL) encoder; see nce_bcl.h.
 *
 * Three walks over the statements the values select: collect the payload length, write every
 * field, and (when fields may overlap) verify that every field still holds its bytes. One
 * function, prepare(), checks a value against its field and yields the field's bytes; writing,
 * verifying and matching switch cases all go through it. */
#include "nce_bcl.h"
#include "nce_bytes.h"

#include <limits.h>
#include <string.h>

/* What one walk over the template needs. */
typedef struct walk {
    const nce_bcl_template_t *tpl;
    const nce_bcl_value_t *values;
    size_t count;
    size_t cursor; /* next statement to look at */
} walk_t;

/* Payload length constraints collected over the fields on the path. */
typedef struct layout {
    size_t fixed_end; /* end of the last byte-addressed field */
    size_t tail;      /* largest -endbyte of endbyte-addressed fields */
    size_t total;     /* length fixed by a byte..endbyte range */
    int has_total;
} layout_t;

/* The bytes of one field: a number's bit pattern, or text/raw bytes (data not NULL). */
typedef struct source {
    uint64_t pattern;
    const uint8_t *data;
    size_t length;
} source_t;

#define PASS_LAYOUT 0
#define PASS_WRITE 1
#define PASS_VERIFY 2

static int is_range(const nce_bcl_stmt_t *s)
{
    const unsigned both = NCE_BCL_F_BYTE | NCE_BCL_F_ENDBYTE;

    return (s->flags & both) == both;
}

static int prepare_bytes(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, size_t n,
                         source_t *src)
{
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
    src->data = (len > 0u) ? v->as.b.data : (const uint8_t *)"";
    src->length = len;
    return 0;
}

/* Checks a value against an n-byte field of the statement's type and says what to write. */
static int prepare(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, size_t n, source_t *src)
{
    src->data = NULL;
    src->pattern = v->as.u;
    switch (s->type) {
    case NCE_BCL_STRING:
    case NCE_BCL_HEX:
        return prepare_bytes(s, v, n, src);
    case NCE_BCL_BOOLEAN:
        src->pattern = (v->as.i != 0);
        return (n > 0u) ? 0 : NCE_BCL_ERR_TEMPLATE;
    case NCE_BCL_FLOAT:
        src->pattern = (n == 4u) ? nce_float_bits(v->as.f32) : nce_double_bits(v->as.f);
        return (n == 4u || n == 8u) ? 0 : NCE_BCL_ERR_TEMPLATE;
    case NCE_BCL_INT:
    case NCE_BCL_UINT:
        if (n != 1u && n != 2u && n != 4u && n != 8u) {
            return NCE_BCL_ERR_TEMPLATE;
        }
        if (n < 8u) { /* shifting the signed range up by half makes one unsigned check */
            uint64_t bias = (s->type == NCE_BCL_INT) ? (uint64_t)1 << (8u * n - 1u) : 0u;
            if (((v->as.u + bias) >> (8u * n)) != 0u) {
                return NCE_BCL_ERR_RANGE;
            }
        }
        return 0;
    default:
        return NCE_BCL_ERR_TEMPLATE;
    }
}

/* Byte i of an n-byte field. */
static uint8_t byte_of(const nce_bcl_stmt_t *s, const source_t *src, size_t i, size_t n)
{
    if (src->data != NULL) {
        return (i < src->length) ? src->data[i] : 0u;
    }
    return nce_pattern_byte(src->pattern, i, n, (s->flags & NCE_BCL_F_LITTLE) != 0u);
}

/* Whether the selector value picks this case: both give the same field bytes (+0 == -0). */
static int case_matches(const nce_bcl_stmt_t *sw, const nce_bcl_value_t *v,
                        const nce_bcl_value_t *c)
{
    source_t a;
    source_t b;
    size_t n = sw->length;
    uint64_t magnitude;

    if (is_range(sw)) {
        n = v->as.b.length;
        if (c->as.b.length != n) {
            return 0;
        }
    }
    if (prepare(sw, v, n, &a) != 0 || prepare(sw, c, n, &b) != 0) {
        return 0;
    }
    if (a.data != NULL) { /* shorter strings are NUL-padded: equal lengths and bytes */
        return a.length == b.length && memcmp(a.data, b.data, a.length) == 0;
    }
    magnitude = (n == 4u) ? 0x7FFFFFFFu : 0x7FFFFFFFFFFFFFFFull;
    if (sw->type == NCE_BCL_FLOAT && ((a.pattern | b.pattern) & magnitude) == 0u) {
        return 1; /* both zeros, whatever their signs */
    }
    return a.pattern == b.pattern;
}

/* Index of the first body statement of the case the selector value picks, or the switch end. */
static long select_case(const walk_t *w, size_t at, const nce_bcl_stmt_t *sw)
{
    const nce_bcl_template_t *t = w->tpl;
    size_t j = at + 1u;
    size_t fallback = sw->end;

    if (sw->end <= at || sw->end > t->stmt_count) {
        return NCE_BCL_ERR_TEMPLATE;
    }
    while (j < sw->end) {
        const nce_bcl_stmt_t *h = &t->stmts[j];
        if (h->next <= j || h->next > sw->end || h->end != sw->end) {
            return NCE_BCL_ERR_TEMPLATE;
        }
        if (h->op == NCE_BCL_OP_DEFAULT) {
            fallback = j + 1u;
        } else if (h->op != NCE_BCL_OP_CASE || h->slot >= t->case_count) {
            return NCE_BCL_ERR_TEMPLATE;
        } else if (case_matches(sw, &w->values[sw->slot], &t->cases[h->slot])) {
            return (long)(j + 1u);
        }
        j = h->next;
    }
    return (long)fallback;
}

/*
 * Finds the next statement that writes bytes (a FIELD, or a SWITCH's selector) on the path the
 * values select. Returns 1 and sets *at, 0 at the end, or an error.
 */
static int next_write(walk_t *w, size_t *at)
{
    const nce_bcl_template_t *t = w->tpl;

    while (w->cursor < t->stmt_count) {
        const nce_bcl_stmt_t *s = &t->stmts[w->cursor];
        long target;
        *at = w->cursor;
        if (s->op == NCE_BCL_OP_CASE || s->op == NCE_BCL_OP_DEFAULT) {
            /* reached the next header: the executed case body is over */
            if (s->end <= w->cursor || s->end > t->stmt_count) {
                return NCE_BCL_ERR_TEMPLATE;
            }
            w->cursor = s->end;
            continue;
        }
        if (s->op > NCE_BCL_OP_SWITCH || s->slot >= w->count) {
            return NCE_BCL_ERR_TEMPLATE;
        }
        target = (s->op == NCE_BCL_OP_FIELD) ? (long)(w->cursor + 1u)
                                             : select_case(w, w->cursor, s);
        if (target < 0) {
            return (int)target;
        }
        w->cursor = (size_t)target;
        return 1;
    }
    return 0;
}

static int add_to_layout(layout_t *l, const nce_bcl_stmt_t *s, const nce_bcl_value_t *v)
{
    size_t back = (size_t)(-(long)s->endbyte);

    if (s->endbyte > 0) {
        return NCE_BCL_ERR_TEMPLATE;
    }
    if (is_range(s)) {
        size_t total = (size_t)s->byte + v->as.b.length + back;
        if (s->type != NCE_BCL_STRING && s->type != NCE_BCL_HEX) {
            return NCE_BCL_ERR_TEMPLATE;
        }
        if (total < v->as.b.length || (l->has_total && total != l->total)) {
            return NCE_BCL_ERR_LAYOUT;
        }
        l->total = total;
        l->has_total = 1;
    } else if (s->length == 0u) {
        return NCE_BCL_ERR_TEMPLATE;
    } else if ((s->flags & NCE_BCL_F_BYTE) != 0u) {
        size_t end = (size_t)s->byte + s->length;
        l->fixed_end = (end > l->fixed_end) ? end : l->fixed_end;
    } else if ((s->flags & NCE_BCL_F_ENDBYTE) != 0u && s->length <= back) {
        l->tail = (back > l->tail) ? back : l->tail;
    } else {
        return NCE_BCL_ERR_TEMPLATE;
    }
    return 0;
}

/* Writes (or, with verify, checks that the payload still holds) one field's bytes. */
static int put_field(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, uint8_t *out,
                     size_t total, int verify)
{
    size_t back = (size_t)(-(long)s->endbyte);
    size_t start = ((s->flags & NCE_BCL_F_BYTE) != 0u) ? s->byte : total - back;
    size_t n = is_range(s) ? total - back - s->byte : s->length;
    source_t src;
    size_t i;
    int rc = prepare(s, v, n, &src);

    for (i = 0u; rc == 0 && i < n; i++) {
        uint8_t b = byte_of(s, &src, i, n);
        if (!verify) {
            out[start + i] = b;
        } else if (out[start + i] != b) {
            rc = NCE_BCL_ERR_CONFLICT;
        }
    }
    return rc;
}

/* One walk over the path: collect the layout, write every field, or verify every field. */
static int run_pass(walk_t *w, layout_t *l, uint8_t *out, size_t total, int pass, size_t *failed)
{
    size_t at = 0u;
    int rc;

    w->cursor = 0u;
    while ((rc = next_write(w, &at)) > 0) {
        const nce_bcl_stmt_t *s = &w->tpl->stmts[at];
        const nce_bcl_value_t *v = &w->values[s->slot];
        rc = (pass == PASS_LAYOUT) ? add_to_layout(l, s, v)
                                   : put_field(s, v, out, total, pass == PASS_VERIFY);
        if (rc != 0) {
            break;
        }
    }
    *failed = at;
    return rc;
}

static int payload_length(const layout_t *l, size_t capacity, size_t *total)
{
    *total = l->has_total ? l->total : l->fixed_end + l->tail;
    if (l->fixed_end > *total || l->tail > *total || *total > (size_t)INT_MAX) {
        return NCE_BCL_ERR_LAYOUT;
    }
    return (*total > capacity) ? NCE_BCL_ERR_CAPACITY : 0;
}

int nce_bcl_encode_at(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                      uint8_t *out, size_t capacity, size_t *failed_stmt)
{
    walk_t w;
    layout_t l;
    size_t total = 0u;
    size_t failed = 0u;
    int rc = NCE_BCL_ERR_ARGUMENT;

    if (tpl != NULL && (tpl->stmts != NULL || tpl->stmt_count == 0u) &&
        (tpl->cases != NULL || tpl->case_count == 0u) && (values != NULL || count == 0u) &&
        count >= tpl->value_count && (out != NULL || capacity == 0u)) {
        w.tpl = tpl;
        w.values = values;
        w.count = count;
        memset(&l, 0, sizeof l);
        rc = run_pass(&w, &l, out, 0u, PASS_LAYOUT, &failed);
        if (rc == 0) {
            rc = payload_length(&l, capacity, &total);
            failed = tpl->stmt_count;
        }
        if (rc == 0 && total > 0u) {
            memset(out, 0, total);
            rc = run_pass(&w, &l, out, total, PASS_WRITE, &failed);
        }
        if (rc == 0 && total > 0u && (tpl->flags & NCE_BCL_T_CHECK_OVERLAP) != 0u) {
            rc = run_pass(&w, &l, out, total, PASS_VERIFY, &failed);
        }
    }
    if (rc != 0 && failed_stmt != NULL) {
        *failed_stmt = (rc != NCE_BCL_ERR_ARGUMENT) ? failed : 0u;
    }
    return (rc != 0) ? rc : (int)total;
}

int nce_bcl_encode(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                   uint8_t *out, size_t capacity)
{
    return nce_bcl_encode_at(tpl, values, count, out, capacity, NULL);
}
