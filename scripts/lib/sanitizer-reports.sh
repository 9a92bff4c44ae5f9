# Sourced by scripts/tsan.sh and scripts/asan.sh: the verdict of a sanitizer run.
#
# sanitizer_verdict SCRIPT WHAT LOG_PREFIX PATTERN STATUS
#   Prints every report file LOG_PREFIX.<pid> (one per process, from the sanitizer's log_path)
#   to stderr, counts their lines matching PATTERN (a grep basic regular expression: one per
#   report), and prints "SCRIPT: N WHAT report(s); swift test exited STATUS".
#   Returns 1 if there was any report, else STATUS (swift test's exit status).
sanitizer_verdict() {
    local script="$1" what="$2" prefix="$3" pattern="$4" status="$5"
    local count=0 file
    for file in "$prefix".*; do
        [ -e "$file" ] || continue
        cat "$file" >&2
        count=$((count + $(grep -c "$pattern" "$file" || true)))
    done
    echo "$script: $count $what report(s); swift test exited $status" >&2
    [ "$count" -eq 0 ] || return 1
    return "$status"
}
