/* nce_bench.c - host-only measurement helpers; see nce_bench.h. */
#define _POSIX_C_SOURCE 199309L

#include "nce_bench.h"

#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int nce_bench_bcl_encode(const nce_bcl_template_t *tpl, const nce_bcl_value_t *values, size_t count,
                         uint8_t *out, size_t capacity, uint32_t iterations, uint64_t *elapsed_ns)
{
    volatile int sink = 0;
    uint64_t start = now_ns();
    uint32_t i;

    for (i = 0u; i < iterations; i++) {
        sink = nce_bcl_encode(tpl, values, count, out, capacity);
    }
    *elapsed_ns = now_ns() - start;
    return sink;
}
