/* Encodes one raw full-range yuv420p frame with libjpeg-turbo's tjCompressFromYUVPlanes at the
 * qualities given, one JPEG per quality: what Sources/VideoPipeline/JPEGSession.swift does.
 *
 *   tjyuv IN.yuv WIDTH HEIGHT OUTPATTERN Q...   (OUTPATTERN has one %d, the quality)
 *
 * TJ_OPTIMIZE=1 in the environment asks libjpeg-turbo for optimal Huffman tables. */
#include <turbojpeg.h>
#include "bench.h"

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: tjyuv IN.yuv W H OUTPATTERN Q...\n"); return 64; }
    int w = atoi(argv[2]), h = atoi(argv[3]);
    yuv420p_frame frame = read_yuv420p(argv[1], w, h);
    tjhandle tj = tjInitCompress();
    unsigned char *jpeg = NULL;
    unsigned long jpegSize = 0;
    for (int i = 5; i < argc; i++) {
        int q = atoi(argv[i]);
        if (tjCompressFromYUVPlanes(tj, frame.planes, w, frame.strides, h, TJSAMP_420, &jpeg, &jpegSize, q, 0) != 0) {
            fprintf(stderr, "tj: %s\n", tjGetErrorStr2(tj)); return 1;
        }
        write_jpeg(argv[4], q, jpeg, jpegSize);
    }
    tjFree(jpeg);
    tjDestroy(tj);
    return 0;
}
