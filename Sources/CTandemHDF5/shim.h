// HDF5 (Debian libhdf5-dev, serial build), for Keras's .weights.h5. Its type and property-list
// handles are macros that call H5open() and read a global, and its flags are macros with casts:
// Swift imports none of them, so each is wrapped here.
#include <hdf5/serial/hdf5.h>

static inline hid_t tandem_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t tandem_h5s_all(void) { return H5S_ALL; }
static inline hid_t tandem_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t tandem_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t tandem_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t tandem_h5t_c_s1(void) { return H5T_C_S1; }
static inline unsigned tandem_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned tandem_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline size_t tandem_h5t_variable(void) { return H5T_VARIABLE; }
// HDF5 prints its error stack on stderr by default; Tandem reports one line of its own instead.
static inline void tandem_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
