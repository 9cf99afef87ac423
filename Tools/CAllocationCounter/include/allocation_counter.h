#ifndef MLINK_ALLOCATION_COUNTER_H
#define MLINK_ALLOCATION_COUNTER_H
#include <stdint.h>

/// Test-only heap accounting. Linking this target into a test executable replaces malloc, calloc, realloc,
/// posix_memalign, aligned_alloc and memalign with wrappers around glibc's own (__libc_*), which count calls
/// made on the calling thread while counting is on. free is not replaced: glibc frees any of these blocks.

/// Starts counting on this thread from zero.
void mlink_allocations_start(void);

/// Stops counting on this thread and returns the allocation calls counted since `mlink_allocations_start`.
uint64_t mlink_allocations_stop(void);

#endif
