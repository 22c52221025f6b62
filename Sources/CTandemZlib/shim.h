// zlib (Debian zlib1g-dev): gzopen/gzread read gzip and plain files alike; crc32 guards checkpoints.
#include <zlib.h>
