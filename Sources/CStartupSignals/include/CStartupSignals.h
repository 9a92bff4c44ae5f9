#ifndef C_STARTUP_SIGNALS_H
#define C_STARTUP_SIGNALS_H

// Catches SIGUSR1 and SIGHUP from before `main` runs (a `.preinit_array` entry, the first code
// the executable runs, installs a handler that only records them), so one sent during startup
// never meets its default action (terminate). Before it, the dynamic loader maps and relocates
// some 150 libraries (tens of milliseconds): the `edge-video` command is therefore a static
// launcher (Sources/edge-video-launcher) that blocks both signals and execs this binary, and the
// `.preinit_array` entry unblocks them once its handler is in, so that one sent meanwhile waits
// and is recorded then. Once the service's own handlers are installed (ServiceLifecycle's
// UnixSignals replaces this handler), `CStartupSignals_replay` re-sends what was recorded, so the
// request is answered instead of lost. docs/operations.md, "Signals in the first moments of a start".
// Linked only into the `edge-video` executable.

/// Whether the `.preinit_array` entry installed the recording handlers (1) or not (0).
int CStartupSignals_installed(void);

/// Re-sends to this process each of SIGUSR1 and SIGHUP recorded since load (once each), and
/// forgets them. Call it after the real handlers have replaced the recording ones.
void CStartupSignals_replay(void);

#endif
