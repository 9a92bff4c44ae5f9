/* Encodes one raw full-range yuv420p frame with the libjpeg-turbo encoder
 * prototype (bench/jpeg/cjpeg/shim.c) at the quantisers given, one JPEG per quantiser: the table is the MPEG-1
 * intra matrix that libavcodec's mjpeg writes, scaled as the patch's JPEGQuality.swift
 * scales it.
 *
 *   ljyuv IN.yuv WIDTH HEIGHT OUTPATTERN S...   (S: the quantiser times 100; OUTPATTERN has one %d, S) */
#include <stdio.h>
#include <stdlib.h>
#include "CJPEG.h"

static const int mpeg1[64] = {
    8, 16, 19, 22, 26, 27, 29, 34, 16, 16, 22, 24, 27, 29, 34, 37, 19, 22, 26, 27, 29, 34, 34, 38,
    22, 22, 26, 27, 29, 34, 37, 40, 22, 26, 27, 29, 32, 35, 40, 48, 26, 27, 29, 32, 35, 40, 48, 58,
    26, 27, 29, 34, 38, 46, 56, 69, 27, 29, 35, 38, 46, 56, 69, 83,
};

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: ljyuv IN.yuv W H OUTPATTERN S...\n"); return 64; }
    int w = atoi(argv[2]), h = atoi(argv[3]);
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    size_t size = (size_t)w * h + 2 * (size_t)cw * ch;
    unsigned char *yuv = malloc(size);
    FILE *in = fopen(argv[1], "rb");
    if (!in || fread(yuv, 1, size, in) != size) { fprintf(stderr, "short read\n"); return 1; }
    fclose(in);
    const uint8_t *planes[3] = { yuv, yuv + (size_t)w * h, yuv + (size_t)w * h + (size_t)cw * ch };
    int strides[3] = { w, cw, cw };
    CJPEG_encoder *encoder = CJPEG_encoder_create();
    for (int i = 5; i < argc; i++) {
        int s = atoi(argv[i]);
        uint16_t table[64];
        table[0] = 8;
        for (int k = 1; k < 64; k++) {
            int v = mpeg1[k] * s / 800;
            table[k] = v < 1 ? 1 : v > 255 ? 255 : v;
        }
        const uint8_t *jpeg; unsigned long jpegSize;
        if (CJPEG_encode_yuv420(encoder, planes, strides, w, h, table, &jpeg, &jpegSize) != 0) {
            fprintf(stderr, "cjpeg: %s\n", CJPEG_encoder_error(encoder)); return 1;
        }
        char path[4096];
        snprintf(path, sizeof path, argv[4], s);
        FILE *out = fopen(path, "wb");
        fwrite(jpeg, 1, jpegSize, out);
        fclose(out);
    }
    CJPEG_encoder_destroy(encoder);
    return 0;
}
