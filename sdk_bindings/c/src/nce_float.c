/* nce_float.c - IEEE-754 conversions on bit patterns; see nce_float.h. Written with 32-bit words:
 * 64-bit shifts by variable amounts are long instruction sequences on Cortex-M. */
#include "nce_float.h"

uint64_t nce_f32_to_f64(uint32_t bits)
{
    uint32_t magnitude = bits & 0x7FFFFFFFu;
    uint32_t rebias = 1023u - 127u; /* added to the exponent field */
    uint32_t high;

    if (magnitude >= 0x7F800000u) {
        rebias = 0x7FFu - 0xFFu; /* infinities and NaNs: the exponent stays all ones */
    } else if (magnitude == 0u) {
        rebias = 0u; /* zeros stay zero */
    } else {
        while (magnitude < 0x00800000u) { /* a subnormal: normalise, one exponent step per bit */
            magnitude <<= 1;
            rebias--;
        }
    }
    high = (bits & 0x80000000u) | ((magnitude >> 3) + (rebias << 20));
    return ((uint64_t)high << 32) | (uint32_t)(magnitude << 29);
}
