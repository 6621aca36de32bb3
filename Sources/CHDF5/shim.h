// HDF5's C API as Swift sees it.
//
// Several HDF5 constants are C macros that expand to global variables behind
// H5open() (H5T_NATIVE_FLOAT, H5T_C_S1, ...) or to expressions Swift cannot
// import (H5P_DEFAULT, H5F_ACC_TRUNC, H5S_ALL, H5T_VARIABLE). Each is wrapped
// here in a `static inline` function with a `rw_` prefix and the right type
// (hid_t is int64_t; H5P_DEFAULT would otherwise import as Int32).
#include <hdf5.h>

static inline hid_t rw_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t rw_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned rw_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned rw_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned rw_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned rw_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline size_t rw_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t rw_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t rw_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t rw_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t rw_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t rw_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t rw_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t rw_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t rw_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t rw_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t rw_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t rw_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t rw_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t rw_H5T_STD_U16LE(void) { return H5T_STD_U16LE; }
static inline hid_t rw_H5T_STD_U32LE(void) { return H5T_STD_U32LE; }
static inline hid_t rw_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t rw_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t rw_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t rw_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t rw_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t rw_H5E_DEFAULT(void) { return H5E_DEFAULT; }

/// Silences HDF5's automatic error printing on the default error stack.
static inline herr_t rw_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// Added for the Checkpoint module.
static inline hid_t rw_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t rw_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t rw_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t rw_H5T_STD_U64LE(void) { return H5T_STD_U64LE; }

/// The oldest and newest file-format versions Rewind writes: HDF5 1.10's, so that
/// chunked datasets get the compact chunk indexes (single chunk, fixed array)
/// instead of 1.8's v1 B-trees. Readable by HDF5 >= 1.10 (Debian's, h5py's wheels).
static inline H5F_libver_t rw_H5F_LIBVER_V110(void) { return H5F_LIBVER_V110; }
/// Every kind of open object, for H5Fget_obj_count (also "every file" as its first argument).
static inline unsigned rw_H5F_OBJ_ALL(void) { return H5F_OBJ_ALL; }
