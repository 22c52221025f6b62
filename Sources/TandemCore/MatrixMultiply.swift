import CBLAS

/// `C = alpha · op(A) · op(B) + beta · C` for row-major matrices, through OpenBLAS's `cblas_sgemm`.
///
/// Shapes are given as `op(A)` is `m × k` and `op(B)` is `k × n`. Leading dimensions default to a
/// dense row-major layout of the *stored* matrix.
@inline(__always)
func matrixMultiply(
    _ a: UnsafePointer<Float>, transposeA: Bool = false,
    _ b: UnsafePointer<Float>, transposeB: Bool = false,
    into c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int,
    alpha: Float = 1, beta: Float = 0,
    lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
) {
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha,
        a, Int32(lda ?? (transposeA ? m : k)),
        b, Int32(ldb ?? (transposeB ? k : n)),
        beta,
        c, Int32(ldc ?? n))
}

/// The BLAS library's own thread count; Tandem runs one BLAS thread per process (per MPI rank).
public enum BLASThreads {
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(count)) }
    public static var current: Int { Int(openblas_get_num_threads()) }
    public static var coreName: String { String(cString: openblas_get_corename()) }
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
