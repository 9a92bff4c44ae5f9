#ifndef C_JPEG_H
#define C_JPEG_H

// The libjpeg-turbo binding (Debian's libjpeg62-turbo, its libjpeg API): one encoder of yuv420p
// planes. libjpeg reports errors by longjmp, which Swift cannot catch, so the whole compression
// runs here, behind setjmp.
#include <stdint.h>

/// One encoder, reused frame after frame: its libjpeg compressor, output buffer and row scratch.
typedef struct CJPEG_encoder CJPEG_encoder;

/// A new encoder, or NULL when out of memory. Free it with `CJPEG_encoder_destroy`.
CJPEG_encoder *CJPEG_encoder_create(void);

/// Frees `encoder` and everything it holds (NULL is allowed).
void CJPEG_encoder_destroy(CJPEG_encoder *encoder);

/// Encodes a full-range yuv420p picture as a baseline JPEG: 4:2:0 (Y 2x2, Cb and Cr 1x1), component
/// ids 1, 2, 3, the one quantisation table `table` (64 values in natural order, 1...255) for all
/// three components, optimal Huffman tables, no JFIF or other APP marker.
///
/// The planes are read in place (row pointers into them); only when `width` is not a multiple of
/// 16 are the rows of each 16-row band copied into scratch, with the right edge replicated.
/// Returns 0 and sets `*jpeg`/`*size` to the encoder's own buffer (valid until the next call or
/// destroy), or -1 with the message in `CJPEG_encoder_error`.
int CJPEG_encode_yuv420(
    CJPEG_encoder *encoder, const uint8_t *const planes[3], const int strides[3], int width, int height,
    const uint16_t table[64], const uint8_t **jpeg, unsigned long *size);

/// libjpeg's message for the last failed `CJPEG_encode_yuv420`.
const char *CJPEG_encoder_error(const CJPEG_encoder *encoder);

#endif
