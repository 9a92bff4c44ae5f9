// edge-video-launcher: installed as the `edge-video` command (scripts/package-deb.sh), it blocks
// SIGUSR1 and SIGHUP and then execs the real binary, so that one sent in the real binary's first
// tens of milliseconds (the dynamic loader mapping some 150 libraries, before its
// `.preinit_array` handler in Sources/CStartupSignals is in) waits instead of killing it. The
// mask survives execve; the real binary unblocks both once its handler is installed and answers
// what was pending. Linked statically (Package.swift): no dynamic loader runs before `main`.
//
// The real binary, beside this one's own file (/proc/self/exe):
//   DIR/../lib/edge-video/edge-video   installed (/usr/bin -> /usr/lib/edge-video)
//   DIR/edge-video                     a build directory (.build/release/edge-video)
// Exit 127 with a message when neither is there.
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const relative_paths[] = {"/../lib/edge-video/edge-video", "/edge-video"};

int main(int argc, char **argv, char **envp) {
    (void)argc;
    // First, before anything can take time: from here on the two signals wait.
    sigset_t startup;
    sigemptyset(&startup);
    sigaddset(&startup, SIGUSR1);
    sigaddset(&startup, SIGHUP);
    sigprocmask(SIG_BLOCK, &startup, NULL);

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
        // Never itself: installed as DIR/edge-video, the second path names this launcher.
        if (stat(candidate, &found) != 0 || (found.st_dev == own.st_dev && found.st_ino == own.st_ino)) continue;
        execve(candidate, argv, envp);
        fprintf(stderr, "edge-video: cannot run %s: %s\n", candidate, strerror(errno));
        return 127;
    }
    fprintf(stderr, "edge-video: the real binary is missing: neither %s%s nor %s%s\n", self, relative_paths[0], self,
            relative_paths[1]);
    return 127;
}
