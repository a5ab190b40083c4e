/* nce_bcl.c - template-driven Energy Saver (BCL) encoder; see nce_bcl.h. */
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

static int is_range(const nce_bcl_stmt_t *s)
{
    return (s->flags & (NCE_BCL_F_BYTE | NCE_BCL_F_ENDBYTE)) == (NCE_BCL_F_BYTE | NCE_BCL_F_ENDBYTE);
}

static int is_bytes_type(uint8_t type)
{
    return type == NCE_BCL_STRING || type == NCE_BCL_HEX;
}

/* A double as float32 when it rounds to a finite float (or is infinite/NaN already). */
static int to_float32(double d, float *f)
{
    if ((d > NCE_FLOAT32_LIMIT || d < -NCE_FLOAT32_LIMIT) && d - d == 0.0) {
        return 0; /* finite but too large: the conversion would be undefined */
    }
    *f = (float)d;
    return 1;
}

static int bytes_equal(const nce_bcl_value_t *a, const nce_bcl_value_t *b)
{
    return a->as.b.length == b->as.b.length &&
           (a->as.b.length == 0u || memcmp(a->as.b.data, b->as.b.data, a->as.b.length) == 0);
}

/* Whether the selector value equals a case constant, compared as the switch's type. */
static int case_matches(const nce_bcl_stmt_t *sw, const nce_bcl_value_t *v,
                        const nce_bcl_value_t *c)
{
    float fv;
    float fc;

    switch (sw->type) {
    case NCE_BCL_INT:
        return v->as.i == c->as.i;
    case NCE_BCL_UINT:
        return v->as.u == c->as.u;
    case NCE_BCL_BOOLEAN:
        return (v->as.i != 0) == (c->as.i != 0);
    case NCE_BCL_FLOAT:
        if (sw->length != 4u) {
            return v->as.f == c->as.f;
        }
        return to_float32(v->as.f, &fv) && to_float32(c->as.f, &fc) && fv == fc;
    default:
        return (v->as.b.data != NULL || v->as.b.length == 0u) && bytes_equal(v, c);
    }
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
        switch (s->op) {
        case NCE_BCL_OP_FIELD:
        case NCE_BCL_OP_SWITCH:
            if (s->slot >= w->count) {
                return NCE_BCL_ERR_TEMPLATE;
            }
            target = (s->op == NCE_BCL_OP_FIELD) ? (long)(w->cursor + 1u)
                                                 : select_case(w, w->cursor, s);
            if (target < 0) {
                return (int)target;
            }
            w->cursor = (size_t)target;
            return 1;
        case NCE_BCL_OP_CASE:
        case NCE_BCL_OP_DEFAULT:
            /* reached the next header: the executed case body is over */
            if (s->end <= w->cursor || s->end > t->stmt_count) {
                return NCE_BCL_ERR_TEMPLATE;
            }
            w->cursor = s->end;
            break;
        default:
            return NCE_BCL_ERR_TEMPLATE;
        }
    }
    return 0;
}

static int add_to_layout(layout_t *l, const nce_bcl_stmt_t *s, const nce_bcl_value_t *v)
{
    size_t back = (size_t)(-(long)s->endbyte);

    if (is_range(s)) {
        size_t total;
        if (!is_bytes_type(s->type) || s->endbyte > 0) {
            return NCE_BCL_ERR_TEMPLATE;
        }
        total = (size_t)s->byte + v->as.b.length + back;
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
    } else if ((s->flags & NCE_BCL_F_ENDBYTE) != 0u && s->endbyte <= 0 && s->length <= back) {
        l->tail = (back > l->tail) ? back : l->tail;
    } else {
        return NCE_BCL_ERR_TEMPLATE;
    }
    return 0;
}

static int finish_layout(const layout_t *l, size_t *length)
{
    if (l->has_total) {
        if (l->fixed_end > l->total || l->tail > l->total) {
            return NCE_BCL_ERR_LAYOUT;
        }
        *length = l->total;
    } else {
        *length = l->fixed_end + l->tail;
    }
    return (*length > (size_t)INT_MAX) ? NCE_BCL_ERR_LAYOUT : 0;
}

/* Where a field starts and how long it is, for a payload of `total` bytes. */
static void locate(const nce_bcl_stmt_t *s, size_t total, size_t *start, size_t *n)
{
    size_t back = (size_t)(-(long)s->endbyte);

    *start = ((s->flags & NCE_BCL_F_BYTE) != 0u) ? s->byte : total - back;
    *n = is_range(s) ? total - back - s->byte : s->length;
}

static int valid_number_length(const nce_bcl_stmt_t *s, size_t n)
{
    if (s->type == NCE_BCL_FLOAT) {
        return n == 4u || n == 8u;
    }
    return n == 1u || n == 2u || n == 4u || n == 8u;
}

/* The bytes of a number field (n is 1..8) into dst. */
static int number_bytes(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, uint8_t *dst, size_t n)
{
    int little = (s->flags & NCE_BCL_F_LITTLE) != 0u;
    float f;

    if (!valid_number_length(s, n)) {
        return NCE_BCL_ERR_TEMPLATE;
    }
    if (s->type == NCE_BCL_INT) {
        if (!nce_fits_int(v->as.i, n)) {
            return NCE_BCL_ERR_RANGE;
        }
        nce_put_uint(dst, (uint64_t)v->as.i, n, little);
    } else if (s->type == NCE_BCL_UINT) {
        if (!nce_fits_uint(v->as.u, n)) {
            return NCE_BCL_ERR_RANGE;
        }
        nce_put_uint(dst, v->as.u, n, little);
    } else if (n == 8u) {
        nce_put_uint(dst, nce_double_bits(v->as.f), 8u, little);
    } else if (to_float32(v->as.f, &f)) {
        nce_put_uint(dst, nce_float_bits(f), 4u, little);
    } else {
        return NCE_BCL_ERR_RANGE;
    }
    return 0;
}

static int check_bytes_value(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, size_t n)
{
    size_t len = v->as.b.length;

    if (v->as.b.data == NULL && len > 0u) {
        return NCE_BCL_ERR_VALUE;
    }
    if (s->type == NCE_BCL_HEX) {
        return (len == n) ? 0 : NCE_BCL_ERR_LENGTH;
    }
    if (len > n) {
        return NCE_BCL_ERR_LENGTH;
    }
    return (len > 0u && v->as.b.data[len - 1u] == 0u) ? NCE_BCL_ERR_VALUE : 0;
}

static int write_field(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, uint8_t *dst, size_t n)
{
    int rc;

    switch (s->type) {
    case NCE_BCL_BOOLEAN:
        memset(dst, 0, n);
        dst[((s->flags & NCE_BCL_F_LITTLE) != 0u) ? 0u : n - 1u] = (uint8_t)(v->as.i != 0);
        return 0;
    case NCE_BCL_STRING:
    case NCE_BCL_HEX:
        rc = check_bytes_value(s, v, n);
        if (rc == 0 && v->as.b.length > 0u) {
            memcpy(dst, v->as.b.data, v->as.b.length);
        }
        if (rc == 0) {
            memset(dst + v->as.b.length, 0, n - v->as.b.length);
        }
        return rc;
    case NCE_BCL_INT:
    case NCE_BCL_UINT:
    case NCE_BCL_FLOAT:
        return number_bytes(s, v, dst, n);
    default:
        return NCE_BCL_ERR_TEMPLATE;
    }
}

/* Whether the payload still holds exactly what this field wrote (no later field overwrote it). */
static int field_intact(const nce_bcl_stmt_t *s, const nce_bcl_value_t *v, const uint8_t *at,
                        size_t n)
{
    uint8_t expect[8];
    size_t i;

    if (s->type == NCE_BCL_STRING || s->type == NCE_BCL_HEX || s->type == NCE_BCL_BOOLEAN) {
        size_t len = (s->type == NCE_BCL_BOOLEAN) ? 0u : v->as.b.length;
        size_t flag_at = ((s->flags & NCE_BCL_F_LITTLE) != 0u) ? 0u : n - 1u;
        if (len > 0u && memcmp(at, v->as.b.data, len) != 0) {
            return 0;
        }
        for (i = len; i < n; i++) {
            uint8_t want = (s->type == NCE_BCL_BOOLEAN && i == flag_at) ? (uint8_t)(v->as.i != 0)
                                                                        : 0u;
            if (at[i] != want) {
                return 0;
            }
        }
        return 1;
    }
    return number_bytes(s, v, expect, n) == 0 && memcmp(expect, at, n) == 0;
}

static int plan_length(walk_t *w, size_t *total, size_t *failed)
{
    layout_t l;
    size_t at = 0u;
    int rc;

    memset(&l, 0, sizeof l);
    w->cursor = 0u;
    while ((rc = next_write(w, &at)) > 0) {
        const nce_bcl_stmt_t *s = &w->tpl->stmts[at];
        rc = add_to_layout(&l, s, &w->values[s->slot]);
        if (rc != 0) {
            break;
        }
    }
    *failed = at;
    return (rc != 0) ? rc : finish_layout(&l, total);
}

/* Second walk writes every field; with verify set, a third walk checks none was overwritten. */
static int write_all(walk_t *w, uint8_t *out, size_t total, int verify, size_t *failed)
{
    size_t at = 0u;
    int rc;

    w->cursor = 0u;
    while ((rc = next_write(w, &at)) > 0) {
        const nce_bcl_stmt_t *s = &w->tpl->stmts[at];
        const nce_bcl_value_t *v = &w->values[s->slot];
        size_t start;
        size_t n;
        locate(s, total, &start, &n);
        if (verify) {
            rc = field_intact(s, v, out + start, n) ? 0 : NCE_BCL_ERR_CONFLICT;
        } else {
            rc = write_field(s, v, out + start, n);
        }
        if (rc != 0) {
            break;
        }
    }
    *failed = at;
    return rc;
}

int nce_bcl_encode_at(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                      uint8_t *out, size_t capacity, size_t *failed_stmt)
{
    walk_t w;
    size_t total = 0u;
    size_t failed = 0u;
    int rc;

    if (tpl == NULL || (tpl->stmts == NULL && tpl->stmt_count > 0u) ||
        (tpl->cases == NULL && tpl->case_count > 0u) || (values == NULL && count > 0u) ||
        count < tpl->value_count || (out == NULL && capacity > 0u)) {
        rc = NCE_BCL_ERR_ARGUMENT;
    } else {
        w.tpl = tpl;
        w.values = values;
        w.count = count;
        rc = plan_length(&w, &total, &failed);
        if (rc == 0 && total > capacity) {
            rc = NCE_BCL_ERR_CAPACITY;
            failed = tpl->stmt_count;
        }
        if (rc == 0) {
            if (total > 0u) {
                memset(out, 0, total);
            }
            rc = write_all(&w, out, total, 0, &failed);
        }
        if (rc == 0 && (tpl->flags & NCE_BCL_T_CHECK_OVERLAP) != 0u) {
            rc = write_all(&w, out, total, 1, &failed);
        }
    }
    if (rc != 0 && failed_stmt != NULL) {
        *failed_stmt = (tpl != NULL && rc != NCE_BCL_ERR_ARGUMENT) ? failed : 0u;
    }
    return (rc != 0) ? rc : (int)total;
}

int nce_bcl_encode(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                   uint8_t *out, size_t capacity)
{
    return nce_bcl_encode_at(tpl, values, count, out, capacity, NULL);
}
