// PNG and JPEG decoding (Debian libpng-dev, libturbojpeg0-dev) through the two APIs that report
// errors by return value: libpng's simplified API and TurboJPEG. (libpng's classic API and plain
// libjpeg report errors by longjmp, which must never jump across Swift frames.)
#include <string.h>
#include <png.h>
#include <turbojpeg.h>

// PNG_IMAGE_VERSION expands to an expression Swift does not import.
static inline void tandem_png_image_init(png_image *image) {
    memset(image, 0, sizeof(*image));
    image->version = PNG_IMAGE_VERSION;
}
