/* encode_driver.c - runs nce_bcl_encode() on the sensor6 template argv[1] times; used by
 * bench/bcl/run.py under valgrind --tool=callgrind to count instructions per encode. */
#include <stdio.h>
#include <stdlib.h>

#include "nce_bcl.h"
#include "sensor6.h"

int main(int argc, char **argv)
{
    unsigned long iterations = (argc > 1) ? strtoul(argv[1], NULL, 10) : 0ul;
    nce_bcl_value_t values[SENSOR6_VALUE_COUNT];
    uint8_t out[64];
    volatile int sink = 0;
    unsigned long i;

    values[SENSOR6_TEMPERATURE] = NCE_BCL_I(-125);
    values[SENSOR6_HUMIDITY] = NCE_BCL_U(55);
    values[SENSOR6_PRESSURE] = NCE_BCL_U(101325);
    values[SENSOR6_BATTERY] = NCE_BCL_F32(3.7f);
    values[SENSOR6_DOOR_OPEN] = NCE_BCL_I(1);
    values[SENSOR6_SITE] = NCE_BCL_S("B12");
    for (i = 0; i < iterations; i++) {
        sink = nce_bcl_encode(&sensor6_template, values, SENSOR6_VALUE_COUNT, out, sizeof out);
    }
    printf("%d\n", sink);
    return 0;
}
