#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H

// JPEG, PNG and WebP decoding to 8-bit RGB through Debian's libjpeg-turbo, libpng and libwebp.
// C because libjpeg reports errors by longjmp, which Swift cannot catch. Every function reads only
// `size` bytes of `data` and returns a status with a human-readable reason; nothing is left allocated.

#include <stddef.h>
#include <stdint.h>

typedef enum { IC_UNKNOWN = 0, IC_JPEG = 1, IC_PNG = 2, IC_WEBP = 3 } ic_format;
typedef enum { IC_OK = 0, IC_UNSUPPORTED = 1, IC_CORRUPT = 2 } ic_status;

/// The format the leading bytes announce.
ic_format ic_sniff(const uint8_t *data, size_t size);

/// The image's width and height from its header alone, so that a hostile size is refused before any
/// pixel is decoded.
ic_status ic_probe(const uint8_t *data, size_t size, int *width, int *height, char *reason, size_t reason_size);

/// Decodes into `pixels` (width × height × 3 bytes, rows top to bottom); fails unless the image is
/// exactly `width` × `height`. Alpha is dropped, as llama.cpp's decoder does; truncated data is an error.
ic_status ic_decode(const uint8_t *data, size_t size, uint8_t *pixels, int width, int height, char *reason,
                    size_t reason_size);

#endif
