/* What the bench/jpeg tools share: one raw full-range yuv420p frame read from a file, the
 * quantisation table libavcodec's mjpeg writes for a quantiser, and a JPEG written out. */
#ifndef EDGE_VIDEO_BENCH_JPEG_H
#define EDGE_VIDEO_BENCH_JPEG_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* One yuv420p frame: its three planes, packed one after the other, and their strides. */
typedef struct {
    const uint8_t *planes[3];
    int strides[3];
} yuv420p_frame;

/* Reads the WIDTH x HEIGHT frame at `path` (chroma planes of ceil(WIDTH/2) x ceil(HEIGHT/2));
 * prints "short read" and exits with status 1 if the file is missing or smaller. */
static inline yuv420p_frame read_yuv420p(const char *path, int width, int height) {
    int cw = (width + 1) / 2, ch = (height + 1) / 2;
    size_t luma = (size_t)width * height, chroma = (size_t)cw * ch, size = luma + 2 * chroma;
    uint8_t *yuv = malloc(size);
    FILE *in = fopen(path, "rb");
    if (!yuv || !in || fread(yuv, 1, size, in) != size) { fprintf(stderr, "short read\n"); exit(1); }
    fclose(in);
    return (yuv420p_frame){ { yuv, yuv + luma, yuv + luma + chroma }, { width, cw, cw } };
}

/* The MPEG-1 intra matrix, which libavcodec's mjpeg writes as its one table, scaled by
 * quantiser/8; `hundredths` is the quantiser times 100 (800 = the matrix itself). */
static inline void mjpeg_table(int hundredths, uint16_t table[64]) {
    static const int mpeg1[64] = {
        8, 16, 19, 22, 26, 27, 29, 34, 16, 16, 22, 24, 27, 29, 34, 37, 19, 22, 26, 27, 29, 34, 34, 38,
        22, 22, 26, 27, 29, 34, 37, 40, 22, 26, 27, 29, 32, 35, 40, 48, 26, 27, 29, 32, 35, 40, 48, 58,
        26, 27, 29, 34, 38, 46, 56, 69, 27, 29, 35, 38, 46, 56, 69, 83,
    };
    table[0] = 8;
    for (int k = 1; k < 64; k++) {
        int v = mpeg1[k] * hundredths / 800;
        table[k] = v < 1 ? 1 : v > 255 ? 255 : v;
    }
}

/* Writes the `size` bytes of `jpeg` to the path `pattern` gives for `setting` (one %d). */
static inline void write_jpeg(const char *pattern, int setting, const uint8_t *jpeg, unsigned long size) {
    char path[4096];
    snprintf(path, sizeof path, pattern, setting);
    FILE *out = fopen(path, "wb");
    if (!out || fwrite(jpeg, 1, size, out) != size || fclose(out) != 0) { fprintf(stderr, "cannot write %s\n", path); exit(1); }
}

#endif
