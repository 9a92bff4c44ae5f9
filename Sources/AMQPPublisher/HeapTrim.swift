internal import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// Gives the heap pages that a finished connection generation freed back to the kernel.
///
/// glibc keeps freed memory inside its arenas and gives back on its own only what lies at the top
/// of a heap. A generation frees its rabbitmq-c frame pools and buffers, its unsettled list and
/// its thread's allocations when it ends; without a trim those pages stay resident between the
/// live chunks of other cameras, so RSS sits megabytes above the live heap and wanders with each
/// generation's layout, although the live heap stays flat. `malloc_trim(0)` releases every free
/// whole page of every arena (`madvise(MADV_DONTNEED)`), taking each arena's lock briefly.
/// Measured with `scripts/soak.sh` (docs/benchmarks.md, "Soak").
///
/// Thread-safety: call from any thread; it blocks for as long as the walk of the arenas takes, so
/// only from a dedicated thread (the connection thread calls it once, as it ends, and only if it
/// was connected: a failed connect frees next to nothing).
///
/// Not under a sanitizer whose allocator replaces malloc (ASan, TSan: `isGlibcTheAllocator` is
/// false). Its memory is not in glibc's arenas, so there is nothing to trim. Worse, ASan leaves
/// glibc's malloc uninitialised but does not intercept `malloc_trim`, so the first trim
/// initialises it on whichever thread calls it. Two connection threads that ended in the same
/// millisecond both did, and glibc's count of threads attached to its main arena fell below zero
/// as they exited: "malloc assertion failure in __malloc_arena_thread_freeres:
/// a->attached_threads > 0", and the process aborted.
enum HeapTrim {
    /// Returns the free pages of every malloc arena to the kernel; does nothing outside glibc,
    /// or when glibc's malloc is not the allocator.
    static func releaseFreePages() {
        #if canImport(Glibc)
        if isGlibcTheAllocator { Malloc.trim() }
        #endif
    }

    /// Whether malloc is glibc's: no sanitizer runtime has replaced it. Every sanitizer allocator
    /// exports `__sanitizer_get_allocated_size`; a normal build has no such symbol.
    static let isGlibcTheAllocator: Bool = {
        #if canImport(Glibc)
        return dlsym(nil, "__sanitizer_get_allocated_size") == nil
        #else
        return false
        #endif
    }()
}
