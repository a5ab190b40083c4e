/* nce_bytes.c - the bytes of numbers in an explicit byte order; see nce_bytes.h. */
#include "nce_bytes.h"

uint8_t nce_pattern_byte(uint64_t pattern, size_t i, size_t n, int little)
{
    size_t k = little ? i : n - 1u - i; /* significance of byte i */
    uint32_t word = (k < 4u) ? (uint32_t)pattern : (uint32_t)(pattern >> 32);

    return (k < 8u) ? (uint8_t)(word >> (8u * (k & 3u))) : 0u;
}
