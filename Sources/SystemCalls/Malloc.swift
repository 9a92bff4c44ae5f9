#if canImport(Glibc)
internal import CSystemCalls
#endif

/// glibc's malloc tuning, declared by `<malloc.h>` (which the Glibc module does not import; it
/// comes through Sources/CSystemCalls). Does nothing outside glibc.
package enum Malloc {
    /// `malloc_trim(0)`: returns every free whole page of every arena to the kernel. It walks the
    /// arenas, taking each one's lock briefly, so call it only from a dedicated thread.
    package static func trim() {
        #if canImport(Glibc)
        _ = malloc_trim(0)
        #endif
    }

    /// `mallopt(M_ARENA_MAX, count)`: at most `count` malloc arenas instead of one per thread.
    package static func limitArenas(to count: Int32) {
        #if canImport(Glibc)
        _ = mallopt(M_ARENA_MAX, count)
        #endif
    }
}
