#include "CStartupSignals.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t CStartupSignals_usr1 = 0;
static volatile sig_atomic_t CStartupSignals_hup = 0;
static int CStartupSignals_ok = 0;

// Atomic stores (lock-free, so async-signal-safe): the handler may run on any thread while
// CStartupSignals_replay exchanges the flags on another; plain volatile stores raced with that
// exchange (ThreadSanitizer reported it under StartupSignalTests).
static void CStartupSignals_record(int signo) {
    if (signo == SIGUSR1) {
        __atomic_store_n(&CStartupSignals_usr1, 1, __ATOMIC_SEQ_CST);
    } else if (signo == SIGHUP) {
        __atomic_store_n(&CStartupSignals_hup, 1, __ATOMIC_SEQ_CST);
    }
}

static void CStartupSignals_install(int argc, char **argv, char **envp) {
    (void)argc;
    (void)argv;
    (void)envp;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = CStartupSignals_record;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    CStartupSignals_ok = sigaction(SIGUSR1, &action, NULL) == 0 && sigaction(SIGHUP, &action, NULL) == 0;
    // Started by the launcher (Sources/edge-video-launcher/main.c), both arrive blocked: one sent
    // since it ran is pending, and reaches the recording handler here. Only with the handler in
    // (without it, `main` stops at its precondition).
    if (CStartupSignals_ok) {
        sigset_t startup;
        sigemptyset(&startup);
        sigaddset(&startup, SIGUSR1);
        sigaddset(&startup, SIGHUP);
        sigprocmask(SIG_UNBLOCK, &startup, NULL);
    }
}

// `.preinit_array` runs before every shared library's constructors (the Swift runtime's,
// Foundation's, libav's), right after the dynamic loader has relocated them: the earliest code an
// executable can run. Only executables have one, hence the executable-only target.
__attribute__((section(".preinit_array"), used)) static void (*const CStartupSignals_preinit)(int, char **, char **) =
    CStartupSignals_install;

int CStartupSignals_installed(void) {
    return CStartupSignals_ok;
}

void CStartupSignals_replay(void) {
    if (__atomic_exchange_n(&CStartupSignals_usr1, 0, __ATOMIC_SEQ_CST)) {
        kill(getpid(), SIGUSR1);
    }
    if (__atomic_exchange_n(&CStartupSignals_hup, 0, __ATOMIC_SEQ_CST)) {
        kill(getpid(), SIGHUP);
    }
}
