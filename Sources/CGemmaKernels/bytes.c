#include "gemma_kernels.h"
#include "blocks.h"

#include <string.h>

int64_t gk_find_bytes(const void *haystack, int64_t haystack_length, const void *needle, int64_t needle_length) {
    if (needle_length <= 0 || needle_length > haystack_length) return -1;
    const unsigned char *hay = (const unsigned char *)haystack;
    const unsigned char first = *(const unsigned char *)needle;
    const int64_t last_start = haystack_length - needle_length;
    for (int64_t i = 0; i <= last_start; i++) {
        const unsigned char *candidate = memchr(hay + i, first, (size_t)(last_start - i + 1));
        if (!candidate) return -1;
        i = candidate - hay;
        if (memcmp(candidate, needle, (size_t)needle_length) == 0) return i;
    }
    return -1;
}

/// Integer addition reorders freely, so the compiler vectorizes and unrolls this into as many
/// independent streams as the widest unit allows: a read-bandwidth probe, not a compute one.
GK_CLONES uint64_t gk_sum_words(const uint64_t *words, int64_t count) {
    uint64_t sum = 0;
    for (int64_t i = 0; i < count; i++) sum += words[i];
    return sum;
}
