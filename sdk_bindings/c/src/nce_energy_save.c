/* nce_energy_save.c - os_energy_save(), nce_energy_save(): a selector byte + fixed-width fields. */
#include "nce_iot_c_sdk.h"
#include "nce_bytes.h"
#include "nce_float.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

/* Bytes of the string in a value buffer that may lack its terminating NUL. */
static size_t string_length(const char *s)
{
    size_t n = 0u;

    while (n < (size_t)NCE_SDK_MAX_STRING_SIZE && s[n] != '\0') {
        n++;
    }
    return n;
}

/* The bit pattern of a number element, sign-extended to 64 bits. Integers accept both the
 * signed and the unsigned range of 1- and 2-byte fields. */
static int number_pattern(const Element2byte_gen_t *e, size_t n, uint64_t *pattern)
{
    long value = e->value.i;

    if (e->type == E_FLOAT) {
        uint32_t bits = nce_float_bits(e->value.f);
        *pattern = (n == 8u) ? nce_f32_to_f64(bits) : bits;
        return n == 4u || n == 8u;
    }
    if (e->type == E_CHAR) {
        *pattern = (uint8_t)e->value.c;
        return n == 1u;
    }
    *pattern = (uint64_t)(int64_t)value;
    if (n == 1u || n == 2u) {
        return value >= -(1L << (8u * n - 1u)) && value < (1L << (8u * n));
    }
    return n == 4u || n == 8u;
}

static int encode_string(uint8_t *dst, const Element2byte_gen_t *e, size_t n)
{
    size_t length = string_length(e->value.s);

    if (length > n) {
        return NCE_SDK_BINARY_PAYLOAD_ERROR;
    }
    memcpy(dst, e->value.s, length);
    memset(dst + length, 0, n - length);
    return NCE_SDK_SUCCESS;
}

/* Writes one element into dst (room bytes available); returns its length or an error. */
static int encode_element(uint8_t *dst, size_t room, const Element2byte_gen_t *e, int little)
{
    size_t n;
    size_t i;
    uint64_t pattern;

    if (e->template_length < 1 || (size_t)e->template_length > room ||
        (unsigned)e->type > E_STRING) {
        return NCE_SDK_BINARY_PAYLOAD_ERROR;
    }
    n = (size_t)e->template_length;
    if (e->type == E_STRING) {
        return (encode_string(dst, e, n) == NCE_SDK_SUCCESS) ? (int)n
                                                             : NCE_SDK_BINARY_PAYLOAD_ERROR;
    }
    if (!number_pattern(e, n, &pattern)) {
        return NCE_SDK_BINARY_PAYLOAD_ERROR;
    }
    for (i = 0u; i < n; i++) { /* least significant byte first, placed by the byte order */
        dst[little ? i : n - 1u - i] = (uint8_t)pattern;
        pattern >>= 8;
    }
    return (int)n;
}

static int start_packet(uint8_t *packet, size_t capacity, int byte_order, int selector)
{
    if (packet == NULL || capacity < 1u || selector < -128 || selector > 255 ||
        (byte_order != NCE_SDK_LITTLE_ENDIAN && byte_order != NCE_SDK_BIG_ENDIAN)) {
        return NCE_SDK_BINARY_PAYLOAD_ERROR;
    }
    packet[0] = (uint8_t)(selector & 0xFF);
    return 1;
}

int nce_energy_save(uint8_t *packet, size_t capacity, int byte_order, int selector,
                    const Element2byte_gen_t *elements, size_t count)
{
    int length = start_packet(packet, capacity, byte_order, selector);
    size_t i;

    if (length < 0 || (elements == NULL && count > 0u)) {
        return NCE_SDK_BINARY_PAYLOAD_ERROR;
    }
    for (i = 0u; i < count; i++) {
        int n = encode_element(packet + length, capacity - (size_t)length, &elements[i],
                               byte_order == NCE_SDK_LITTLE_ENDIAN);
        if (n < 0 || n > INT_MAX - length) {
            return NCE_SDK_BINARY_PAYLOAD_ERROR;
        }
        length += n;
    }
    return length;
}

int os_energy_save(char *packet, int selector, int num_args, ...)
{
    const int little = (NCE_SDK_ENERGY_SAVER_BYTE_ORDER == NCE_SDK_LITTLE_ENDIAN);
    /* The public API has no capacity; bound each field by what an int length can address. */
    const size_t unbounded = (size_t)INT_MAX;
    uint8_t *out = (uint8_t *)packet;
    int length = start_packet(out, unbounded, NCE_SDK_ENERGY_SAVER_BYTE_ORDER, selector);
    va_list args;
    int i;

    if (length < 0 || num_args < 0) {
        return NCE_SDK_BINARY_PAYLOAD_ERROR;
    }
    va_start(args, num_args);
    for (i = 0; i < num_args && length >= 0; i++) {
        Element2byte_gen_t e = va_arg(args, Element2byte_gen_t);
        int n = encode_element(out + length, unbounded - (size_t)length, &e, little);
        length = (n < 0) ? NCE_SDK_BINARY_PAYLOAD_ERROR : length + n;
    }
    va_end(args);
    return length;
}
