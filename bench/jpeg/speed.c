/* CPU per encoded frame of the three JPEG encoders measured by bench/jpeg/quality.py, on one raw
 * full-range yuv420p frame, one thread: libavcodec's mjpeg as Sources/VideoPipeline/JPEGSession.swift
 * opens it (qscale Q, optimal Huffman tables), TurboJPEG's tjCompressFromYUVPlanes (quality T,
 * default Huffman tables) and bench/jpeg/cjpeg/shim.c (mjpeg's table for Q, optimal Huffman tables).
 *
 *   speed IN.yuv WIDTH HEIGHT Q T FRAMES      prints one JSON line */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <libavcodec/avcodec.h>
#include <turbojpeg.h>
#include "CJPEG.h"
#include "bench.h"

static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 7) { fprintf(stderr, "usage: speed IN.yuv W H Q T FRAMES\n"); return 64; }
    int w = atoi(argv[2]), h = atoi(argv[3]), q = atoi(argv[4]), tq = atoi(argv[5]), n = atoi(argv[6]);
    yuv420p_frame picture = read_yuv420p(argv[1], w, h);
    long bytes[3] = { 0, 0, 0 };
    double seconds[3];

    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    AVCodecContext *context = avcodec_alloc_context3(codec);
    context->width = w; context->height = h; context->pix_fmt = AV_PIX_FMT_YUV420P;
    context->color_range = AVCOL_RANGE_JPEG; context->time_base = (AVRational){ 1, 1000 };
    context->flags |= AV_CODEC_FLAG_QSCALE; context->global_quality = FF_QP2LAMBDA * q; context->thread_count = 1;
    if (avcodec_open2(context, codec, NULL) < 0) return 1;
    AVFrame *frame = av_frame_alloc();
    frame->format = AV_PIX_FMT_YUV420P; frame->width = w; frame->height = h; frame->color_range = AVCOL_RANGE_JPEG;
    for (int i = 0; i < 3; i++) { frame->data[i] = (uint8_t *)picture.planes[i]; frame->linesize[i] = picture.strides[i]; }
    AVPacket *packet = av_packet_alloc();
    double start = cpu();
    for (int i = 0; i < n; i++) {
        frame->pts = i; frame->quality = context->global_quality;
        if (avcodec_send_frame(context, frame) < 0 || avcodec_receive_packet(context, packet) < 0) return 1;
        bytes[0] = packet->size;
        av_packet_unref(packet);
    }
    seconds[0] = cpu() - start;

    tjhandle tj = tjInitCompress();
    unsigned char *jpeg = tjAlloc((int)tjBufSize(w, h, TJSAMP_420));
    start = cpu();
    for (int i = 0; i < n; i++) {
        unsigned long jpegSize = tjBufSize(w, h, TJSAMP_420);
        if (tjCompressFromYUVPlanes(tj, picture.planes, w, picture.strides, h, TJSAMP_420, &jpeg, &jpegSize, tq, TJFLAG_NOREALLOC)) return 1;
        bytes[1] = (long)jpegSize;
    }
    seconds[1] = cpu() - start;

    CJPEG_encoder *encoder = CJPEG_encoder_create();
    uint16_t table[64];
    mjpeg_table(q * 100, table);
    start = cpu();
    for (int i = 0; i < n; i++) {
        const uint8_t *out; unsigned long outSize;
        if (CJPEG_encode_yuv420(encoder, picture.planes, picture.strides, w, h, table, &out, &outSize)) return 1;
        bytes[2] = (long)outSize;
    }
    seconds[2] = cpu() - start;
    printf("{\"size\": \"%dx%d\", \"q\": %d, \"tj_quality\": %d, \"frames\": %d, "
           "\"mjpeg_ms\": %.3f, \"turbojpeg_ms\": %.3f, \"libjpeg_ms\": %.3f, "
           "\"mjpeg_bytes\": %ld, \"turbojpeg_bytes\": %ld, \"libjpeg_bytes\": %ld}\n",
           w, h, q, tq, n, 1e3 * seconds[0] / n, 1e3 * seconds[1] / n, 1e3 * seconds[2] / n, bytes[0], bytes[1], bytes[2]);
    return 0;
}
