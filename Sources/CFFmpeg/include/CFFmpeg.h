#ifndef C_FFMPEG_H
#define C_FFMPEG_H

// The FFmpeg 5.1 binding (Debian's libavformat/libavcodec/libswscale/libavutil). Only what Swift
// cannot import directly (function-like macros) is shimmed here.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>

/// `AVERROR(e)` for a POSIX errno value.
int CFFmpeg_AVERROR(int errnum);

#endif
