#include "CFFmpeg.h"
#include <stdlib.h>
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

int CFFmpeg_AVERROR(int errnum) {
    return AVERROR(errnum);
}

int CFFmpeg_AVERROR_EOF(void) {
    return AVERROR_EOF;
}

int CFFmpeg_AVERROR_EXIT(void) {
    return AVERROR_EXIT;
}

int64_t CFFmpeg_AV_NOPTS_VALUE(void) {
    return AV_NOPTS_VALUE;
}

static CFFmpeg_log_handler CFFmpeg_current_handler = NULL;

static void CFFmpeg_log_trampoline(void *avcl, int level, const char *fmt, va_list vl) {
    if (level > av_log_get_level() || CFFmpeg_current_handler == NULL) {
        return;
    }
    // The whole line, however long: the handler redacts passwords before it shortens anything,
    // so a cut can never fall between a password and the `@` that reveals it.
    char small[1024];
    char *line = small;
    int print_prefix = 1;
    va_list copy;
    va_copy(copy, vl);
    int needed = av_log_format_line2(avcl, level, fmt, vl, small, (int)sizeof(small), &print_prefix);
    if (needed >= (int)sizeof(small)) {
        char *large = malloc((size_t)needed + 1);
        if (large != NULL) {
            print_prefix = 1;
            av_log_format_line2(avcl, level, fmt, copy, large, needed + 1, &print_prefix);
            line = large;
        }
    }
    va_end(copy);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
        line[--n] = '\0';
    }
    if (n > 0) {
        CFFmpeg_current_handler(level, line);
    }
    if (line != small) {
        free(line);
    }
}

void CFFmpeg_av_log_text(int level, const char *text) {
    av_log(NULL, level, "%s\n", text);
}

void CFFmpeg_set_log_handler(CFFmpeg_log_handler handler, int level) {
    CFFmpeg_current_handler = handler;
    av_log_set_level(level);
    av_log_set_callback(handler ? CFFmpeg_log_trampoline : av_log_default_callback);
}

#define CFFmpeg_STRINGIFY2(x) #x
#define CFFmpeg_STRINGIFY(x) CFFmpeg_STRINGIFY2(x)

static pthread_once_t CFFmpeg_avdevice_once = PTHREAD_ONCE_INIT;
static const char *CFFmpeg_avdevice_error = NULL;

static void CFFmpeg_avdevice_load_once(void) {
    void *library = dlopen("libavdevice.so." CFFmpeg_STRINGIFY(LIBAVDEVICE_VERSION_MAJOR), RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        CFFmpeg_avdevice_error = dlerror();
        return;
    }
    void (*register_all)(void) = (void (*)(void))dlsym(library, "avdevice_register_all");
    if (register_all == NULL) {
        CFFmpeg_avdevice_error = dlerror();
        return;
    }
    register_all();
}

const char *CFFmpeg_load_avdevice(void) {
    pthread_once(&CFFmpeg_avdevice_once, CFFmpeg_avdevice_load_once);
    return CFFmpeg_avdevice_error;
}
