/* nce_bench.h - host-only measurement helpers (not part of the firmware SDK). */
#ifndef NCE_BENCH_H
#define NCE_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "nce_bcl.h"

/* Calls nce_bcl_encode() `iterations` times, timed with CLOCK_MONOTONIC. Returns the result of
 * the last call (the payload length or an error); *elapsed_ns receives the total time. */
int nce_bench_bcl_encode(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                         uint8_t *out, size_t capacity, uint32_t iterations, uint64_t *elapsed_ns);

#endif /* NCE_BENCH_H */
