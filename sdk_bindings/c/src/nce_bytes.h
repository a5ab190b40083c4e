/* nce_bytes.h - internal: integers and IEEE-754 floats in an explicit byte order. */
#ifndef NCE_BYTES_H
#define NCE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The low n bytes (1..8) of value, most significant first unless little is set. */
static inline void nce_put_uint(uint8_t *dst, uint64_t value, size_t n, int little)
{
    size_t i;

    for (i = 0u; i < n; i++) {
        uint8_t b = (uint8_t)(value >> (8u * i));
        dst[little ? i : n - 1u - i] = b;
    }
}

static inline uint32_t nce_float_bits(float f)
{
    uint32_t bits;

    memcpy(&bits, &f, sizeof bits);
    return bits;
}

static inline uint64_t nce_double_bits(double d)
{
    uint64_t bits;

    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* Whether a signed value fits n bytes (1..8) as two's complement. */
static inline int nce_fits_int(int64_t value, size_t n)
{
    int64_t limit;

    if (n >= 8u) {
        return 1;
    }
    limit = (int64_t)1 << (8u * n - 1u);
    return value >= -limit && value < limit;
}

/* Whether an unsigned value fits n bytes (1..8). */
static inline int nce_fits_uint(uint64_t value, size_t n)
{
    return n >= 8u || value < ((uint64_t)1 << (8u * n));
}

/* Largest magnitude a double may have and still round to a finite float32 (FLT_MAX + half ulp). */
#define NCE_FLOAT32_LIMIT 0x1.ffffffp+127

#endif /* NCE_BYTES_H */
