// libxsmm's just-in-time matrix-multiply kernels (Debian libxsmm-dev 1.17, a static library): they
// multiply without packing the operands, twice OpenBLAS's speed where one side of a product is thin.
#include <libxsmm.h>

// Row-major C[m][n] = op(A)[m][k] × B[k][n] + beta · C, op(A) = A or Aᵀ, beta 0 or 1, through a
// kernel generated for exactly this shape (column-major underneath: Cᵀ = Bᵀ · op(A)ᵀ). Returns 0
// where libxsmm has no kernel for it, having touched nothing.
static inline int tandem_xsmm_sgemm(int transposeA, int m, int n, int k, const float *a, int lda,
                                    const float *b, int ldb, float beta, float *c, int ldc) {
    const float alpha = 1;
    const int flags = transposeA ? LIBXSMM_GEMM_FLAG_TRANS_B : LIBXSMM_GEMM_FLAG_NONE;
    const libxsmm_blasint columnM = n, columnN = m, columnK = k, leadingA = ldb, leadingB = lda, leadingC = ldc;
    const libxsmm_smmfunction kernel = libxsmm_smmdispatch(columnM, columnN, columnK, &leadingA, &leadingB, &leadingC,
                                                           &alpha, &beta, &flags, NULL);
    if (!kernel) return 0;
    kernel(b, a, c);
    return 1;
}
