// OpenBLAS's CBLAS interface (Debian libopenblas-dev puts cblas.h on the default path).
#include <cblas.h>
