#!/usr/bin/env bash
# Spool benchmark: appends vs plain sequential writes of the same bytes, and the recovery scan.
#
#   bench/spool/run.sh [ROUNDS (3)] [SECONDS (5)] [RECOVER_BYTES (1 GiB)]
#
# Builds edge-video-bench in release mode, then per round:
# - `spool-append` for SECONDS (5 KB bodies, default 1 s sync interval), then the peer: a Python
#   loop of os.write of the same number of blocks of the same size (one record's bytes) to one
#   file on the same disk, with fdatasync at the same 1 s cadence; ratio = ours / peer (appends/s);
# - the same count of 5 KB rows inserted into SQLite in WAL mode (synchronous=NORMAL, a commit and
#   so a WAL sync every second, then deleted once, as settled frames are), through Python's sqlite3
#   and Debian's libsqlite3: the storage engine we did not choose, against the same plain writes;
#   each peer's bytes sent to the disk (/proc/self/io write_bytes) are printed too;
# - `spool-recover` of a RECOVER_BYTES spool of 5 KB records, warm (page cache) and, when we may
#   write /proc/sys/vm/drop_caches, cold; then the same without index files (`--scan`: every
#   header read), warm and cold.
# Prints each JSON line, then medians. Files go to bench/out/ (same disk as the repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
seconds=${2:-5}
recover_bytes=${3:-1073741824}
mkdir -p bench/out
swift build -c release --product edge-video-bench >&2
bench="$(swift build -c release --show-bin-path)/edge-video-bench"

exec python3 - "$rounds" "$seconds" "$recover_bytes" "$bench" <<'PY'
import json, os, resource, sqlite3, statistics, subprocess, sys, time

rounds, seconds, recover_bytes, bench = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cold_ok = os.geteuid() == 0 and os.access("/proc/sys/vm/drop_caches", os.W_OK)

def run(args):
    out = subprocess.run([bench] + args, check=True, stdout=subprocess.PIPE, text=True).stdout
    row = json.loads(out.strip().splitlines()[-1])
    print(json.dumps(row), flush=True)
    return row

def written_bytes():
    """Bytes this process has caused to be sent to the storage layer (/proc/self/io)."""
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("write_bytes:"))

def sqlite_peer(count, block, path="bench/out/spool-sqlite.db"):
    """count rows of block bytes into SQLite (WAL, synchronous=NORMAL), one transaction a second,
    then every row deleted (settled), committed; the rows' bytes and what reached the disk."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix): os.unlink(path + suffix)
    data = bytes((i * 31) & 0xFF for i in range(block))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE frames (id INTEGER PRIMARY KEY, stream TEXT NOT NULL, body BLOB NOT NULL)")
    before = written_bytes()
    start = last = time.monotonic()
    db.execute("BEGIN")
    for i in range(count):
        db.execute("INSERT INTO frames (stream, body) VALUES (?, ?)", ("cam-1", data))
        now = time.monotonic()
        if now - last >= 1.0:
            db.execute("COMMIT")
            db.execute("BEGIN")
            last = now
    db.execute("COMMIT")
    inserted = time.monotonic() - start
    db.execute("DELETE FROM frames")
    total = time.monotonic() - start
    db.close()
    disk = written_bytes() - before
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix): os.unlink(path + suffix)
    row = {"bench": "peer-sqlite-wal", "count": count, "block": block, "insert_seconds": round(inserted, 3),
           "inserts_per_s": round(count / inserted, 1), "with_delete_seconds": round(total, 3),
           "disk_bytes_per_row_byte": round(disk / (count * block), 2)}
    print(json.dumps(row), flush=True)
    return row

def peer(count, block, path="bench/out/spool-peer.dat"):
    """count writes of block bytes to one file, fdatasync every second, like the spool's sync thread."""
    data = bytes((i * 31) & 0xFF for i in range(block))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    before = written_bytes()
    start = last = time.monotonic()
    for _ in range(count):
        os.write(fd, data)
        now = time.monotonic()
        if now - last >= 1.0:
            os.fdatasync(fd)
            last = now
    elapsed = time.monotonic() - start
    os.fdatasync(fd)
    disk = written_bytes() - before
    os.close(fd)
    os.unlink(path)
    row = {"bench": "peer-write", "count": count, "block": block, "seconds": round(elapsed, 3),
           "writes_per_s": round(count / elapsed, 1), "mb_per_s": round(count * block / elapsed / 1e6, 1),
           "disk_bytes_per_row_byte": round(disk / (count * block), 2)}
    print(json.dumps(row), flush=True)
    return row

ours, theirs, ratios, warm, cold, scan_warm, scan_cold = [], [], [], [], [], [], []
lite, lite_ratios, lite_disk, raw_disk, spool_disk = [], [], [], [], []
for _ in range(rounds):
    blocks = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock
    a = run(["spool-append", "--seconds", str(seconds)])
    # ru_oublock counts the 512-byte units of write_bytes (Linux).
    ours_disk = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock - blocks) * 512 / (a["count"] * a["record_bytes"])
    print(json.dumps({"bench": "spool-append-disk", "disk_bytes_per_row_byte": round(ours_disk, 2)}), flush=True)
    p = peer(a["count"], a["record_bytes"])
    q = sqlite_peer(a["count"], a["record_bytes"])
    ours.append(a["appends_per_s"]); theirs.append(p["writes_per_s"]); ratios.append(a["appends_per_s"] / p["writes_per_s"])
    lite.append(q["inserts_per_s"]); lite_ratios.append(q["inserts_per_s"] / p["writes_per_s"])
    lite_disk.append(q["disk_bytes_per_row_byte"]); raw_disk.append(p["disk_bytes_per_row_byte"]); spool_disk.append(ours_disk)
    # Warm first (the build left the spool in the page cache): from the index files, then without
    # them, every header scanned (the scan's close writes them again); then both cold.
    warm.append(run(["spool-recover", "--bytes", str(recover_bytes)])["open_s"])
    scan_warm.append(run(["spool-recover", "--bytes", str(recover_bytes), "--reuse", "--scan"])["open_s"])
    if cold_ok:
        cold.append(run(["spool-recover", "--bytes", str(recover_bytes), "--reuse", "--drop-caches"])["open_s"])
        scan_cold.append(run(["spool-recover", "--bytes", str(recover_bytes), "--reuse", "--scan", "--drop-caches"])["open_s"])
subprocess.run(["rm", "-rf", "bench/out/spool-append", "bench/out/spool-recover"], check=True)

summary = {"rounds": rounds, "append_per_s_median": round(statistics.median(ours), 1),
           "peer_writes_per_s_median": round(statistics.median(theirs), 1),
           "append_ratio_median": round(statistics.median(ratios), 3),
           "sqlite_inserts_per_s_median": round(statistics.median(lite), 1),
           "sqlite_ratio_median": round(statistics.median(lite_ratios), 3),
           "sqlite_disk_bytes_per_row_byte_median": round(statistics.median(lite_disk), 2),
           "peer_disk_bytes_per_row_byte_median": round(statistics.median(raw_disk), 2),
           "spool_disk_bytes_per_row_byte_median": round(statistics.median(spool_disk), 2),
           "recover_bytes": recover_bytes, "recover_warm_s_median": round(statistics.median(warm), 3),
           "recover_cold_s_median": round(statistics.median(cold), 3) if cold else None,
           "scan_warm_s_median": round(statistics.median(scan_warm), 3),
           "scan_cold_s_median": round(statistics.median(scan_cold), 3) if scan_cold else None}
print(json.dumps(summary))
PY
