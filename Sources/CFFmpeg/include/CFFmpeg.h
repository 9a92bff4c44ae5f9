#ifndef C_FFMPEG_H
#define C_FFMPEG_H

// The FFmpeg 5.1 binding (Debian's libavformat/libavcodec/libswscale/libavutil). Only what Swift
// cannot import directly (function-like macros, compound literals, va_list callbacks) is shimmed.
#include <stdint.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/version.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>

/// `AVERROR(e)` for a POSIX errno value.
int CFFmpeg_AVERROR(int errnum);

/// `AVERROR_EOF`.
int CFFmpeg_AVERROR_EOF(void);

/// `AVERROR_EXIT` (what libav returns when the interrupt callback fired).
int CFFmpeg_AVERROR_EXIT(void);

/// `AV_NOPTS_VALUE`.
int64_t CFFmpeg_AV_NOPTS_VALUE(void);

/// A handler for formatted libav log lines (already prefixed, without trailing newline, never
/// truncated).
typedef void (*CFFmpeg_log_handler)(int level, const char *line);

/// `av_log(NULL, level, "%s\n", text)` (variadic, so shimmed): a line through libav's own
/// logging path, as a demuxer would log it.
void CFFmpeg_av_log_text(int level, const char *text);

/// Installs `handler` as the libav log callback (the callback itself takes a `va_list`, which
/// Swift cannot implement) and sets the libav log level.
void CFFmpeg_set_log_handler(CFFmpeg_log_handler handler, int level);

/// Loads libavdevice (`libavdevice.so.<major>`, the V4L2 input) with `dlopen` and registers its
/// input formats; once per process, thread-safe. It is not linked: linking it maps libavfilter and
/// what that drags in (librsvg, flite, ...) into every process, also without a V4L2 camera.
/// Returns NULL on success, else dlerror()'s message.
const char *CFFmpeg_load_avdevice(void);

#endif
