/* nce_bytes.h - internal: the bytes of numbers in an explicit byte order, float bit patterns. */
#ifndef NCE_BYTES_H
#define NCE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Byte i (0..n-1, in payload order) of an n-byte field holding pattern: bytes beyond the 8 of the
 * pattern are 0; the least significant byte comes first when little is set. */
uint8_t nce_pattern_byte(uint64_t pattern, size_t i, size_t n, int little);

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
