/*
 * nce_float.h - internal: IEEE-754 conversions on bit patterns.
 *
 * The SDK never does floating-point arithmetic: on FPU-less Cortex-M parts every double
 * operation links kilobytes of soft-float library code. Conversions work on the bits instead.
 */
#ifndef NCE_FLOAT_H
#define NCE_FLOAT_H

#include <stdint.h>

/* float32 bits -> float64 bits (exact). */
uint64_t nce_f32_to_f64(uint32_t bits);

#endif /* NCE_FLOAT_H */
