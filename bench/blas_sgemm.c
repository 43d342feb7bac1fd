// Times one BLAS library's single-precision GEMM (square, column-major, C = A * B) for bench/run-blas.sh.
// The library is opened at run time, so that BLAS builds Cadence does not link can be compared with the
// one it does on the same machine in the same run.
// Usage: blas_sgemm LIBRARY SYMBOL N RUNS; prints the best run as one JSON line.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*Sgemm)(const char *, const char *, const int *, const int *, const int *, const float *,
                      const float *, const int *, const float *, const int *, const float *, float *,
                      const int *);

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s LIBRARY SYMBOL N RUNS\n", argv[0]);
        return 2;
    }
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        fprintf(stderr, "%s: cannot open: %s\n", argv[1], dlerror());
        return 1;
    }
    Sgemm sgemm = (Sgemm)dlsym(library, argv[2]);
    if (sgemm == NULL) {
        fprintf(stderr, "%s: no symbol %s\n", argv[1], argv[2]);
        return 1;
    }
    const int n = atoi(argv[3]), runs = atoi(argv[4]);
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    if (n <= 0 || runs <= 0 || a == NULL || b == NULL || c == NULL) {
        fprintf(stderr, "bad size or out of memory\n");
        return 1;
    }
    for (long i = 0; i < (long)n * n; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.1f;
    }
    const float one = 1, zero = 0;
    double best = 1e30;
    for (int run = 0; run <= runs; run++) {  // run 0 warms up (thread start, page faults)
        const double start = seconds();
        sgemm("N", "N", &n, &n, &n, &one, a, &n, b, &n, &zero, c, &n);
        const double elapsed = seconds() - start;
        if (run > 0 && elapsed < best) best = elapsed;
    }
    printf("{\"library\": \"%s\", \"n\": %d, \"best_ms\": %.3f, \"gflops\": %.1f}\n", argv[1], n, best * 1e3,
           2.0 * n * n * n / best / 1e9);
    return 0;
}
