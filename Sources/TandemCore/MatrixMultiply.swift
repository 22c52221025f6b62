import CBLAS
import CTandemXSMM

/// `C = op(A) · op(B) + beta · C` for row-major matrices, `beta` 0 or 1.
///
/// Shapes are given as `op(A)` is `m × k` and `op(B)` is `k × n`. Leading dimensions default to a
/// dense row-major layout of the *stored* matrix. Each product goes to the kernel that was measured
/// fastest for its shape on this machine (`usesGeneratedKernel`): a function of the shape alone, so a
/// product's arithmetic never depends on anything else.
@inline(__always)
func matrixMultiply(
    _ a: UnsafePointer<Float>, transposeA: Bool = false,
    _ b: UnsafePointer<Float>, transposeB: Bool = false,
    into c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int,
    beta: Float = 0,
    lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
) {
    let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
    if usesGeneratedKernel(transposeA: transposeA, transposeB: transposeB, n: n, k: k),
       tandem_xsmm_sgemm(transposeA ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc)) != 0 {
        return
    }
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        1,
        a, Int32(lda),
        b, Int32(ldb),
        beta,
        c, Int32(ldc))
}

/// Whether a product goes to libxsmm's generated kernels rather than OpenBLAS. Measured side by side,
/// one core, on the products of the tutorial, the MLP and the VGG-style models (Launch/gemm_shapes.c):
/// libxsmm's unpacked kernels run `A·B` and `Aᵀ·B` at 100–117 GFLOP/s on every shape with at least 32
/// columns over at least 16 (OpenBLAS: 49 for a 16-row block against a 1024×784 kernel, 90–110
/// elsewhere), but fall behind on narrower products (a 16-column `A·B`: 22 against 79); libxsmm 1.17
/// generates no `A·Bᵀ` kernel.
@inline(__always)
func usesGeneratedKernel(transposeA: Bool, transposeB: Bool, n: Int, k: Int) -> Bool {
    !transposeB && (transposeA || (n >= 32 && k >= 16))
}

/// The BLAS library's own thread count; Tandem runs one BLAS thread per process (per MPI rank).
package enum BLASThreads {
    package static func set(_ count: Int) { openblas_set_num_threads(Int32(count)) }
    package static var current: Int { Int(openblas_get_num_threads()) }
    package static var coreName: String { String(cString: openblas_get_corename()) }
}

/// How many of a block's `samples` one matrix product should cover, when each sample adds
/// `rowsPerSample` rows to a product of `n` columns over `k`. OpenBLAS multiplies small matrices
/// (m·n·k up to about 2^20) without packing them, the fastest way here; past that, its packed kernels
/// need a few hundred rows to run at full speed, and a product over a whole block would also stream the
/// block's transforms through the cache instead of reusing them. A function of the shapes and the block
/// size only, so that a block's arithmetic never depends on anything else.
func samplesPerProduct(rowsPerSample: Int, n: Int, k: Int, samples: Int) -> Int {
    let unpackedRows = (1 << 20) / max(n * k, 1)
    let rows = unpackedRows >= 64 ? unpackedRows : 512
    return min(max(rows / max(rowsPerSample, 1), 1), samples)
}
