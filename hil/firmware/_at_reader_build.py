"""cffi API-mode build of the firmware's C AT driver (firmware/common/at) for the host.

Not run at install time: hil.firmware.at_reader compiles it on first use into
build/c-at-reader/<hash>/, the hash covering every file under firmware/common/at and
firmware/common/include and this file. Why on demand and not a second entry in setup.py's
cffi_modules: the firmware's C changes far more often than the packaging, and a content-hashed
build picks up every edit (and every checkout of another branch) without a re-install, so a test
can never run against a stale driver. It needs a host C compiler at run time, which the firmware's
host tests (tests/test_fw_at_c.py) need anyway.

The extension holds the reader (nce_at_reader_*), the text helpers (nce_at_field ...) and a small
host shim: events go to a Python callback (extern "Python"), and nce_at_host_bench feeds a
transcript in fixed-size chunks timed inside C.
"""

from __future__ import annotations

from pathlib import Path

from cffi import FFI

REPO = Path(__file__).resolve().parents[2]
FW_AT = REPO / "firmware" / "common" / "at"
FW_INCLUDE = REPO / "firmware" / "common" / "include"
SOURCES = ("nce_at_reader.c", "nce_at_tables.c", "nce_at_text.c")

CDEF = """
typedef enum {
    NCE_AT_EVENT_INFO, NCE_AT_EVENT_FINAL, NCE_AT_EVENT_PROMPT, NCE_AT_EVENT_BINARY,
    NCE_AT_EVENT_URC, NCE_AT_EVENT_BOOT, NCE_AT_EVENT_NOISE, NCE_AT_EVENT_STRAY
} nce_at_event_kind_t;
typedef enum {
    NCE_AT_FINAL_NONE, NCE_AT_FINAL_OK, NCE_AT_FINAL_ERROR, NCE_AT_FINAL_CME, NCE_AT_FINAL_CMS
} nce_at_final_t;
typedef struct {
    nce_at_event_kind_t kind;
    const char *line;
    size_t line_len;
    const char *body;
    const uint8_t *data;
    size_t data_len;
    nce_at_final_t final;
    int code;
    uint8_t command_ended;
} nce_at_event_t;
typedef void (*nce_at_event_fn)(void *ctx, const nce_at_event_t *event);
typedef struct {
    uint32_t noise_events;
    uint32_t overlong_lines;
    ...;
} nce_at_reader_t;

#define NCE_AT_LINE_MAX ...
#define NCE_AT_BINARY_MAX ...
#define NCE_AT_COMMAND_MAX ...

void nce_at_reader_init(nce_at_reader_t *reader, nce_at_event_fn on_event, void *ctx);
void nce_at_reader_start(nce_at_reader_t *reader, const char *command);
void nce_at_reader_abandon(nce_at_reader_t *reader);
void nce_at_reader_reset(nce_at_reader_t *reader);
int nce_at_reader_pending(const nce_at_reader_t *reader);
void nce_at_feed(nce_at_reader_t *reader, const uint8_t *data, size_t len);

size_t nce_at_strlcpy(char *dst, const char *src, size_t cap);
int nce_at_starts_with(const char *text, const char *prefix);
int nce_at_field(const char *csv, unsigned index, char *out, size_t cap);
int nce_at_field_int(const char *csv, unsigned index, long *value);
uint32_t nce_at_default_timeout(const char *command);

extern "Python" void nce_at_host_event(void *ctx, const nce_at_event_t *event);

double nce_at_host_bench(const uint8_t *stream, const size_t *offsets, const char *const *commands,
                         size_t segments, size_t chunk, unsigned rounds, uint64_t *events);
"""

SHIM = r"""
#include <time.h>
#include "nce_at.h"

static void nce_at_host_event(void *ctx, const nce_at_event_t *event);

static void count_event(void *ctx, const nce_at_event_t *event)
{
    (void)event;
    (*(uint64_t *)ctx)++;
}

/* Feed segment i (stream[offsets[i]:offsets[i+1]]) after starting commands[i] (NULL: none), in
 * chunks of `chunk` bytes; `rounds` times over. Returns the seconds it took (CLOCK_MONOTONIC). */
double nce_at_host_bench(const uint8_t *stream, const size_t *offsets, const char *const *commands,
                         size_t segments, size_t chunk, unsigned rounds, uint64_t *events)
{
    static nce_at_reader_t reader;
    struct timespec t0, t1;
    unsigned round;
    size_t i, at;

    *events = 0u;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (round = 0; round < rounds; round++) {
        nce_at_reader_init(&reader, count_event, events);
        for (i = 0; i < segments; i++) {
            if (commands[i] != NULL) {
                nce_at_reader_start(&reader, commands[i]);
            }
            for (at = offsets[i]; at < offsets[i + 1u]; at += chunk) {
                size_t n = offsets[i + 1u] - at < chunk ? offsets[i + 1u] - at : chunk;
                nce_at_feed(&reader, stream + at, n);
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}
"""


def make_ffi(module_name: str) -> FFI:
    """The FFI builder for an extension named `module_name` (the loader adds the source hash)."""
    ffibuilder = FFI()
    ffibuilder.cdef(CDEF)
    ffibuilder.set_source(
        module_name,
        SHIM,
        sources=[str(FW_AT / name) for name in SOURCES],
        include_dirs=[str(FW_INCLUDE), str(FW_AT)],
        extra_compile_args=["-O2", "-std=gnu99"],
    )
    return ffibuilder


def source_files() -> list[Path]:
    """Every file whose content decides the build (hashed by the loader)."""
    files = [Path(__file__).resolve()]
    for folder in (FW_AT, FW_INCLUDE):
        files += sorted(p for p in folder.rglob("*") if p.is_file())
    return files
