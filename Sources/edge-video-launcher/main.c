// edge-video-launcher: the `edge-video` command, in the package (/usr/bin/edge-video,
// scripts/package-deb.sh) and in a build directory (.build/release/edge-video, Package.swift). It
// blocks SIGUSR1 and SIGHUP and then execs the real binary, so that one sent in the real binary's
// first tens of milliseconds (the dynamic loader mapping some 150 libraries, before its
// `.preinit_array` handler in Sources/CStartupSignals is in) waits instead of killing it. The
// mask survives execve; the real binary unblocks both once its handler is installed and answers
// what was pending. Linked statically (Package.swift): no dynamic loader runs before it.
//
// The real binary, beside this one's own file (/proc/self/exe):
//   DIR/../lib/edge-video/edge-video   installed (/usr/bin -> /usr/lib/edge-video)
//   DIR/edge-video-main                a build directory (.build/release/edge-video-main)
// Exit 127 with a message when neither is there.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// The process's entry point (Package.swift links with `-e edge_video_launcher_entry`): one system
// call blocks SIGHUP and SIGUSR1 before glibc's static start-up (CPU feature probing, IRELATIVE
// relocations, TLS) runs, then `_start` goes on as usual. That start-up, before `main`, was long
// enough for signals to kill (docs/operations.md, "Signals in the first moments of a start").
__asm__(
    ".pushsection .rodata\n"
    ".balign 8\n"
    "edge_video_launcher_startup_mask:\n"
    "    .quad (1 << (1 - 1)) | (1 << (10 - 1))\n" // SIGHUP (1), SIGUSR1 (10)
    ".popsection\n"
    ".text\n"
    ".globl edge_video_launcher_entry\n"
    ".type edge_video_launcher_entry, @function\n"
    "edge_video_launcher_entry:\n"
#if defined(__x86_64__)
    "    mov $14, %eax\n"                                   // SYS_rt_sigprocmask
    "    xor %edi, %edi\n"                                  // SIG_BLOCK
    "    lea edge_video_launcher_startup_mask(%rip), %rsi\n"
    "    xor %edx, %edx\n"                                  // no old set
    "    mov $8, %r10d\n"                                   // sizeof the kernel's sigset
    "    syscall\n"
    "    xor %edx, %edx\n"                                  // _start reads rdx: no rtld_fini
    "    jmp _start\n"
#elif defined(__aarch64__)
    "    mov x8, #135\n"                                    // SYS_rt_sigprocmask
    "    mov x0, #0\n"                                      // SIG_BLOCK
    "    adrp x1, edge_video_launcher_startup_mask\n"
    "    add x1, x1, :lo12:edge_video_launcher_startup_mask\n"
    "    mov x2, #0\n"
    "    mov x3, #8\n"
    "    svc #0\n"
    "    mov x0, #0\n"                                      // _start reads x0: no rtld_fini
    "    b _start\n"
#else
#error "edge-video-launcher: no entry point for this architecture"
#endif
    ".size edge_video_launcher_entry, . - edge_video_launcher_entry\n");

static const char *const relative_paths[] = {"/../lib/edge-video/edge-video", "/edge-video-main"};

int main(int argc, char **argv, char **envp) {
    (void)argc;
    // Both signals have waited since edge_video_launcher_entry.

    char self[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
    struct stat own;
    if (length <= 0 || stat("/proc/self/exe", &own) != 0) {
        fprintf(stderr, "edge-video: cannot find its own file (/proc/self/exe): %s\n", strerror(errno));
        return 127;
    }
    self[length] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';

    for (size_t index = 0; index < sizeof(relative_paths) / sizeof(relative_paths[0]); index++) {
        char candidate[PATH_MAX];
        if (snprintf(candidate, sizeof(candidate), "%s%s", self, relative_paths[index]) >= (int)sizeof(candidate)) continue;
        struct stat found;
        // Never itself (a copy of this launcher renamed, or linked, under one of the names).
        if (stat(candidate, &found) != 0 || (found.st_dev == own.st_dev && found.st_ino == own.st_ino)) continue;
        execve(candidate, argv, envp);
        fprintf(stderr, "edge-video: cannot run %s: %s\n", candidate, strerror(errno));
        return 127;
    }
    fprintf(stderr,
            "edge-video: the real binary is missing: neither %s%s nor %s%s (in a build directory, "
            "`swift build -c release` builds it; `--product edge-video` builds only this launcher)\n",
            self, relative_paths[0], self, relative_paths[1]);
    return 127;
}
