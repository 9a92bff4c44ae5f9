#include "CJPEG.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

struct CJPEG_encoder {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr errors;
    struct jpeg_destination_mgr destination;
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
    /// The output buffer (grown by doubling, kept between frames) and the bytes of the last JPEG.
    uint8_t *buffer;
    size_t capacity;
    size_t length;
    /// Rows of one 16-row band padded to whole blocks, for widths that are not a multiple of 16.
    uint8_t *scratch;
    size_t scratchSize;
};

static void escape_on_error(j_common_ptr cinfo) {
    CJPEG_encoder *encoder = (CJPEG_encoder *)cinfo->client_data;
    cinfo->err->format_message(cinfo, encoder->message);
    longjmp(encoder->escape, 1);
}

/// Warnings (corrupt-data notes) are for decoders; an encoder of valid planes has none to act on.
static void ignore_message(j_common_ptr cinfo, int level) {
    (void)cinfo;
    (void)level;
}

static void start_output(j_compress_ptr cinfo) {
    CJPEG_encoder *encoder = (CJPEG_encoder *)cinfo->client_data;
    encoder->destination.next_output_byte = encoder->buffer;
    encoder->destination.free_in_buffer = encoder->capacity;
}

static boolean grow_output(j_compress_ptr cinfo) {
    CJPEG_encoder *encoder = (CJPEG_encoder *)cinfo->client_data;
    size_t used = encoder->capacity;
    size_t capacity = encoder->capacity * 2;
    uint8_t *buffer = realloc(encoder->buffer, capacity);
    if (buffer == NULL) {
        snprintf(encoder->message, sizeof encoder->message, "no memory for a %zu-byte JPEG buffer", capacity);
        longjmp(encoder->escape, 1);
    }
    encoder->buffer = buffer;
    encoder->capacity = capacity;
    encoder->destination.next_output_byte = buffer + used;
    encoder->destination.free_in_buffer = capacity - used;
    return TRUE;
}

static void end_output(j_compress_ptr cinfo) {
    CJPEG_encoder *encoder = (CJPEG_encoder *)cinfo->client_data;
    encoder->length = encoder->capacity - encoder->destination.free_in_buffer;
}

CJPEG_encoder *CJPEG_encoder_create(void) {
    CJPEG_encoder *volatile encoder = calloc(1, sizeof *encoder);
    if (encoder == NULL) return NULL;
    encoder->capacity = 65536;
    encoder->buffer = malloc(encoder->capacity);
    if (encoder->buffer == NULL) { free(encoder); return NULL; }
    encoder->cinfo.err = jpeg_std_error(&encoder->errors);
    encoder->errors.error_exit = escape_on_error;
    encoder->errors.emit_message = ignore_message;
    encoder->cinfo.client_data = encoder;
    if (setjmp(encoder->escape)) {
        jpeg_destroy_compress(&encoder->cinfo);
        free(encoder->buffer);
        free(encoder);
        return NULL;
    }
    jpeg_create_compress(&encoder->cinfo);
    encoder->destination.init_destination = start_output;
    encoder->destination.empty_output_buffer = grow_output;
    encoder->destination.term_destination = end_output;
    encoder->cinfo.dest = &encoder->destination;
    return encoder;
}

void CJPEG_encoder_destroy(CJPEG_encoder *encoder) {
    if (encoder == NULL) return;
    jpeg_destroy_compress(&encoder->cinfo);
    free(encoder->buffer);
    free(encoder->scratch);
    free(encoder);
}

const char *CJPEG_encoder_error(const CJPEG_encoder *encoder) {
    return encoder->message;
}

/// The compression parameters: 4:2:0 raw planes, one table for all components, no JFIF marker.
static void configure(CJPEG_encoder *encoder, int width, int height, const uint16_t table[64]) {
    j_compress_ptr cinfo = &encoder->cinfo;
    cinfo->image_width = (JDIMENSION)width;
    cinfo->image_height = (JDIMENSION)height;
    cinfo->input_components = 3;
    cinfo->in_color_space = JCS_YCbCr;
    jpeg_set_defaults(cinfo);
    cinfo->raw_data_in = TRUE;
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->optimize_coding = TRUE;
    cinfo->write_JFIF_header = FALSE;
    cinfo->write_Adobe_marker = FALSE;
    unsigned int basic[64];
    for (int i = 0; i < 64; i++) basic[i] = table[i];
    jpeg_add_quant_table(cinfo, 0, basic, 100, TRUE);
    for (int c = 0; c < 3; c++) {
        cinfo->comp_info[c].h_samp_factor = c == 0 ? 2 : 1;
        cinfo->comp_info[c].v_samp_factor = c == 0 ? 2 : 1;
        cinfo->comp_info[c].quant_tbl_no = 0;
    }
}

/// Points `rows` at the `count` rows of a plane from `first`, the last row repeated below the
/// picture; copies them into `scratch` (right edge replicated to `padded` bytes) when it is not NULL.
static void band(const uint8_t *plane, int stride, int planeWidth, int planeHeight, int first, int count,
                 uint8_t *scratch, int padded, JSAMPROW *rows) {
    for (int i = 0; i < count; i++) {
        int row = first + i < planeHeight ? first + i : planeHeight - 1;
        const uint8_t *source = plane + (size_t)row * (size_t)stride;
        if (scratch == NULL) {
            rows[i] = (JSAMPROW)source;
            continue;
        }
        uint8_t *target = scratch + (size_t)i * (size_t)padded;
        memcpy(target, source, (size_t)planeWidth);
        memset(target + planeWidth, source[planeWidth - 1], (size_t)(padded - planeWidth));
        rows[i] = target;
    }
}

int CJPEG_encode_yuv420(
    CJPEG_encoder *encoder, const uint8_t *const planes[3], const int strides[3], int width, int height,
    const uint16_t table[64], const uint8_t **jpeg, unsigned long *size) {
    if (width < 1 || height < 1 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        snprintf(encoder->message, sizeof encoder->message, "picture size %dx%d is outside 1...%d", width,
                 height, (int)JPEG_MAX_DIMENSION);
        return -1;
    }
    int chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2;
    int paddedLuma = (width + 15) / 16 * 16, paddedChroma = paddedLuma / 2;
    int copies = paddedLuma != width;
    if (copies) {
        size_t needed = (size_t)paddedLuma * 16 + (size_t)paddedChroma * 16;
        if (needed > encoder->scratchSize) {
            free(encoder->scratch);
            encoder->scratchSize = 0;
            encoder->scratch = malloc(needed);
            if (encoder->scratch == NULL) {
                snprintf(encoder->message, sizeof encoder->message, "no memory for %zu bytes of row scratch", needed);
                return -1;
            }
            encoder->scratchSize = needed;
        }
    }
    if (setjmp(encoder->escape)) {
        jpeg_abort_compress(&encoder->cinfo);
        return -1;
    }
    configure(encoder, width, height, table);
    jpeg_start_compress(&encoder->cinfo, TRUE);
    JSAMPROW luma[16], blue[8], red[8];
    JSAMPARRAY image[3] = { luma, blue, red };
    uint8_t *scratchLuma = copies ? encoder->scratch : NULL;
    uint8_t *scratchBlue = copies ? encoder->scratch + (size_t)paddedLuma * 16 : NULL;
    uint8_t *scratchRed = copies ? scratchBlue + (size_t)paddedChroma * 8 : NULL;
    for (int y = 0; y < height; y += 16) {
        band(planes[0], strides[0], width, height, y, 16, scratchLuma, paddedLuma, luma);
        band(planes[1], strides[1], chromaWidth, chromaHeight, y / 2, 8, scratchBlue, paddedChroma, blue);
        band(planes[2], strides[2], chromaWidth, chromaHeight, y / 2, 8, scratchRed, paddedChroma, red);
        jpeg_write_raw_data(&encoder->cinfo, image, 16);
    }
    jpeg_finish_compress(&encoder->cinfo);
    *jpeg = encoder->buffer;
    *size = (unsigned long)encoder->length;
    return 0;
}
