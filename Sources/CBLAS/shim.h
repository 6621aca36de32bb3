// OpenBLAS's CBLAS interface, plus its thread-count controls
// (openblas_set_num_threads / openblas_get_num_threads, declared in OpenBLAS's cblas.h).
#include <cblas.h>
