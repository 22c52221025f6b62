// PNG and JPEG decoding (Debian libpng-dev, libturbojpeg0-dev) through the two APIs that report
// errors by return value: libpng's simplified API and TurboJPEG. (libpng's classic API and plain
// libjpeg report errors by longjmp, which must never jump across Swift frames.)
#include <string.h>
#include <png.h>
#include <turbojpeg.h>

// PNG_IMAGE_VERSION and the format macros expand to expressions Swift does not import.
static inline void tandem_png_image_init(png_image *image) {
    memset(image, 0, sizeof(*image));
    image->version = PNG_IMAGE_VERSION;
}
static inline unsigned int tandem_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline unsigned int tandem_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline size_t tandem_png_image_size(const png_image *image) { return PNG_IMAGE_SIZE(*image); }
