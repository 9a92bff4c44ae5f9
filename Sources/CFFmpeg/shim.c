#include "CFFmpeg.h"

int CFFmpeg_AVERROR(int errnum) {
    return AVERROR(errnum);
}
