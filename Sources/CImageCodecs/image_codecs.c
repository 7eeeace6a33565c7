#include "image_codecs.h"

#include <stdio.h>  // before jpeglib.h, which uses FILE without including it

#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>

ic_format ic_sniff(const uint8_t *data, size_t size) {
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return IC_JPEG;
    if (size >= 8 && memcmp(data, png_signature, 8) == 0) return IC_PNG;
    if (size >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0) return IC_WEBP;
    return IC_UNKNOWN;
}

// MARK: JPEG (libjpeg-turbo): errors and warnings end the decode through longjmp

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *reason;
    size_t reason_size;
} jpeg_failure;

static void jpeg_fail(j_common_ptr info) {
    jpeg_failure *failure = (jpeg_failure *)info->err;
    char message[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, message);
    snprintf(failure->reason, failure->reason_size, "JPEG: %s", message);
    longjmp(failure->jump, 1);
}

/// A warning (e.g. "premature end of JPEG file", after which libjpeg pads with grey) is an error here.
static void jpeg_message(j_common_ptr info, int level) {
    if (level < 0) jpeg_fail(info);
}

static ic_status jpeg_run(const uint8_t *data, size_t size, uint8_t *pixels, int *width, int *height, char *reason,
                          size_t reason_size) {
    struct jpeg_decompress_struct info;
    jpeg_failure failure;
    info.err = jpeg_std_error(&failure.base);
    failure.base.error_exit = jpeg_fail;
    failure.base.emit_message = jpeg_message;
    failure.reason = reason;
    failure.reason_size = reason_size;
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&info);
        return IC_CORRUPT;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    if (!pixels) {
        *width = (int)info.image_width;
        *height = (int)info.image_height;
        jpeg_destroy_decompress(&info);
        return IC_OK;
    }
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    if ((int)info.output_width != *width || (int)info.output_height != *height || info.output_components != 3) {
        snprintf(reason, reason_size, "JPEG: decoded size differs from its header");
        jpeg_destroy_decompress(&info);
        return IC_CORRUPT;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * (size_t)*width * 3;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return IC_OK;
}

// MARK: PNG (libpng's simplified API)

static uint32_t big_endian32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/// The size from the IHDR chunk, which must come first (PNG specification 11.2.2): no other chunk is read.
static ic_status png_probe(const uint8_t *data, size_t size, int *width, int *height, char *reason, size_t reason_size) {
    if (size < 24 || memcmp(data + 12, "IHDR", 4) != 0) {
        snprintf(reason, reason_size, "PNG: the header is truncated or its first chunk is not IHDR");
        return IC_CORRUPT;
    }
    uint32_t w = big_endian32(data + 16), h = big_endian32(data + 20);
    if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff) {
        snprintf(reason, reason_size, "PNG: invalid size %ux%u", w, h);
        return IC_CORRUPT;
    }
    *width = (int)w;
    *height = (int)h;
    return IC_OK;
}

static ic_status png_run(const uint8_t *data, size_t size, uint8_t *pixels, int *width, int *height, char *reason,
                         size_t reason_size) {
    if (!pixels) return png_probe(data, size, width, height, reason, reason_size);
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        snprintf(reason, reason_size, "PNG: %s", image.message);
        png_image_free(&image);
        return IC_CORRUPT;
    }
    if ((int)image.width != *width || (int)image.height != *height) {
        snprintf(reason, reason_size, "PNG: decoded size differs from its header");
        png_image_free(&image);
        return IC_CORRUPT;
    }
    // RGBA first, then the alpha dropped (not composited), as stb_image does for llama.cpp.
    size_t count = (size_t)*width * (size_t)*height;
    uint8_t *rgba = malloc(count * 4);
    if (!rgba) {
        snprintf(reason, reason_size, "PNG: out of memory");
        png_image_free(&image);
        return IC_CORRUPT;
    }
    image.format = PNG_FORMAT_RGBA;
    int ok = png_image_finish_read(&image, NULL, rgba, 0, NULL);
    if (!ok) snprintf(reason, reason_size, "PNG: %s", image.message);
    for (size_t i = 0; ok && i < count; i++) memcpy(pixels + 3 * i, rgba + 4 * i, 3);
    free(rgba);
    png_image_free(&image);
    return ok ? IC_OK : IC_CORRUPT;
}

// MARK: WebP (libwebp)

static ic_status webp_run(const uint8_t *data, size_t size, uint8_t *pixels, int *width, int *height, char *reason,
                          size_t reason_size) {
    WebPBitstreamFeatures features;
    if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK) {
        snprintf(reason, reason_size, "WebP: the header is not valid");
        return IC_CORRUPT;
    }
    if (features.has_animation) {
        snprintf(reason, reason_size, "WebP: animated images are not supported");
        return IC_UNSUPPORTED;
    }
    if (!pixels) {
        *width = features.width;
        *height = features.height;
        return IC_OK;
    }
    if (features.width != *width || features.height != *height) {
        snprintf(reason, reason_size, "WebP: decoded size differs from its header");
        return IC_CORRUPT;
    }
    size_t bytes = (size_t)*width * (size_t)*height * 3;
    if (!WebPDecodeRGBInto(data, size, pixels, bytes, *width * 3)) {
        snprintf(reason, reason_size, "WebP: the image data is truncated or corrupt");
        return IC_CORRUPT;
    }
    return IC_OK;
}

static ic_status run(const uint8_t *data, size_t size, uint8_t *pixels, int *width, int *height, char *reason,
                     size_t reason_size) {
    switch (ic_sniff(data, size)) {
    case IC_JPEG: return jpeg_run(data, size, pixels, width, height, reason, reason_size);
    case IC_PNG: return png_run(data, size, pixels, width, height, reason, reason_size);
    case IC_WEBP: return webp_run(data, size, pixels, width, height, reason, reason_size);
    default:
        snprintf(reason, reason_size, "not a JPEG, PNG or WebP image");
        return IC_UNSUPPORTED;
    }
}

ic_status ic_probe(const uint8_t *data, size_t size, int *width, int *height, char *reason, size_t reason_size) {
    ic_status status = run(data, size, NULL, width, height, reason, reason_size);
    if (status == IC_OK && (*width <= 0 || *height <= 0)) {
        snprintf(reason, reason_size, "the image has no pixels");
        return IC_CORRUPT;
    }
    return status;
}

ic_status ic_decode(const uint8_t *data, size_t size, uint8_t *pixels, int width, int height, char *reason,
                    size_t reason_size) {
    return run(data, size, pixels, &width, &height, reason, reason_size);
}
