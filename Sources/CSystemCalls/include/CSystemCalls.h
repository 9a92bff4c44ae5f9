#ifndef C_SYSTEM_CALLS_H
#define C_SYSTEM_CALLS_H

// The C declarations Swift's Glibc module does not import, for Sources/SystemCalls. Nothing is
// shimmed: the headers are only included, and Swift calls what they declare as it is.
#if defined(__GLIBC__) || defined(__linux__)
// glibc's malloc tuning: `mallopt`, `malloc_trim` and `M_ARENA_MAX`.
#include <malloc.h>
#endif

#endif
