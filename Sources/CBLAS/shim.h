#ifndef CADENCE_CBLAS_SHIM_H
#define CADENCE_CBLAS_SHIM_H
#ifdef __APPLE__
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
// OpenBLAS runs its own threads; Cadence sizes them so they never oversubscribe its pool.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
#endif
