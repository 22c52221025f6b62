// PNG, JPEG and GIF decoding (Debian libpng-dev, libturbojpeg0-dev, libgif-dev) through APIs that
// report errors by return value: libpng's simplified API, TurboJPEG and giflib. (libpng's classic API
// and plain libjpeg report errors by longjmp, which must never jump across Swift frames.)
#include <string.h>
#include <png.h>
#include <turbojpeg.h>
#include <gif_lib.h>

// PNG_IMAGE_VERSION expands to an expression Swift does not import.
static inline void tandem_png_image_init(png_image *image) {
    memset(image, 0, sizeof(*image));
    image->version = PNG_IMAGE_VERSION;
}

// giflib reads through a callback; this one reads from memory.
typedef struct {
    const unsigned char *bytes;
    size_t count;
    size_t offset;
} tandem_gif_source;

static inline int tandem_gif_read(GifFileType *file, GifByteType *buffer, int wanted) {
    tandem_gif_source *source = (tandem_gif_source *)file->UserData;
    size_t available = source->count - source->offset;
    size_t count = wanted <= 0 ? 0 : ((size_t)wanted < available ? (size_t)wanted : available);
    memcpy(buffer, source->bytes + source->offset, count);
    source->offset += count;
    return (int)count;
}

static inline GifFileType *tandem_gif_open(tandem_gif_source *source, int *error) {
    return DGifOpen(source, tandem_gif_read, error);
}
