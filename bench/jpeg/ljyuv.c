/* Encodes one raw full-range yuv420p frame with the libjpeg-turbo encoder
 * prototype (bench/jpeg/cjpeg/shim.c) at the quantisers given, one JPEG per quantiser: the table is the MPEG-1
 * intra matrix that libavcodec's mjpeg writes, scaled as the patch's JPEGQuality.swift
 * scales it.
 *
 *   ljyuv IN.yuv WIDTH HEIGHT OUTPATTERN S...   (S: the quantiser times 100; OUTPATTERN has one %d, S) */
#include "CJPEG.h"
#include "bench.h"

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: ljyuv IN.yuv W H OUTPATTERN S...\n"); return 64; }
    int w = atoi(argv[2]), h = atoi(argv[3]);
    yuv420p_frame frame = read_yuv420p(argv[1], w, h);
    CJPEG_encoder *encoder = CJPEG_encoder_create();
    for (int i = 5; i < argc; i++) {
        int s = atoi(argv[i]);
        uint16_t table[64];
        mjpeg_table(s, table);
        const uint8_t *jpeg; unsigned long jpegSize;
        if (CJPEG_encode_yuv420(encoder, frame.planes, frame.strides, w, h, table, &jpeg, &jpegSize) != 0) {
            fprintf(stderr, "cjpeg: %s\n", CJPEG_encoder_error(encoder)); return 1;
        }
        write_jpeg(argv[4], s, jpeg, jpegSize);
    }
    CJPEG_encoder_destroy(encoder);
    return 0;
}
