/* nce_bytes.h - internal: the bit patterns of floats, to write them in an explicit byte order. */
#ifndef NCE_BYTES_H
#define NCE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

#endif /* NCE_BYTES_H */
