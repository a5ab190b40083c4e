/* nce_float.c - IEEE-754 conversions on bit patterns; see nce_float.h. Written with 32-bit words:
 * 64-bit shifts by variable amounts are long instruction sequences on Cortex-M. */
#include "nce_float.h"

uint64_t nce_f32_to_f64(uint32_t bits)
{
    uint32_t sign = bits & 0x80000000u;
    unsigned biased = (bits >> 23) & 0xFFu;
    uint32_t fraction = bits & 0x007FFFFFu;
    int exponent = (int)biased - 127 + 1023;
    uint32_t high;

    if (biased == 0xFFu) {
        exponent = 0x7FF;
    } else if (biased == 0u) {
        if (fraction == 0u) {
            return (uint64_t)sign << 32;
        }
        exponent = 1 - 127 + 1023; /* normalise a subnormal */
        while ((fraction & 0x00800000u) == 0u) {
            fraction <<= 1;
            exponent--;
        }
        fraction &= 0x007FFFFFu;
    }
    high = sign | ((uint32_t)exponent << 20) | (fraction >> 3);
    return ((uint64_t)high << 32) | (uint64_t)(fraction << 29);
}
