// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over the addresses of
// global structs of incomplete type, which Swift's importer drops. These inline functions hand
// them to Swift as ordinary values; no C source file or extra flag is needed.
#include <mpi.h>

static inline MPI_Comm tandem_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype tandem_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype tandem_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype tandem_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype tandem_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op tandem_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op tandem_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op tandem_mpi_min(void) { return MPI_MIN; }
static inline void *tandem_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request tandem_mpi_request_null(void) { return MPI_REQUEST_NULL; }
