/// The transforms of Winograd F(4×4, 3×3) (Lavin & Gray 2016, interpolation points 0, ±1, ±2, ∞), each
/// on one group of channels: 6×6 input tiles, 4×4 output tiles, 36 products per tile and channel pair
/// instead of 144. Every 2-D transform is its 1-D transform applied to the columns, then to the rows.
///
///     Bᵀ = [4  0 −5  0  1  0;   G = [ 1/4     0     0 ;   Aᵀ = [1  1  1  1  1  0;
///           0 −4 −4  1  1  0;        −1/6  −1/6  −1/6 ;         0  1 −1  2 −2  0;
///           0  4 −4 −1  1  0;        −1/6   1/6  −1/6 ;         0  1  1  4  4  0;
///           0 −2 −1  2  1  0;        1/24  1/12   1/6 ;         0  1 −1  8 −8  1]
///           0  2 −1 −2  1  0;        1/24 −1/12   1/6 ;
///           0  4  0 −5  0  1]          0     0     1  ]
enum Winograd4x4 {
    /// `Bᵀ d` for a column of six values.
    @inline(__always)
    static func input<V: ChannelVector>(_ d: (V, V, V, V, V, V)) -> (V, V, V, V, V, V) {
        let a = d.4 - d.2 * 4, b = d.1 * 4 - d.3
        let c = d.4 - d.2, e = (d.1 - d.3) * 2
        return (d.0 * 4 - d.2 * 5 + d.4, a - b, a + b, c - e, c + e, d.1 * 4 - d.3 * 5 + d.5)
    }

    /// `Aᵀ m` for a column of six values.
    @inline(__always)
    static func output<V: ChannelVector>(_ m: (V, V, V, V, V, V)) -> (V, V, V, V) {
        let sum12 = m.1 + m.2, difference12 = m.1 - m.2, sum34 = m.3 + m.4, difference34 = m.3 - m.4
        return (m.0 + sum12 + sum34, difference12 + difference34 * 2, sum12 + sum34 * 4, difference12 + difference34 * 8 + m.5)
    }

    /// `A y` for a column of four values: the adjoint of `output`.
    @inline(__always)
    static func outputGradient<V: ChannelVector>(_ y: (V, V, V, V)) -> (V, V, V, V, V, V) {
        let even1 = y.0 + y.2, odd1 = y.1 + y.3
        let even2 = y.0 + y.2 * 4, odd2 = y.1 * 2 + y.3 * 8
        return (y.0, even1 + odd1, even1 - odd1, even2 + odd2, even2 - odd2, y.3)
    }

    /// `G g` for a column of three values.
    @inline(__always)
    static func kernel<V: ChannelVector>(_ g: (V, V, V)) -> (V, V, V, V, V, V) {
        let outer = g.0 + g.2, outerWeighted = g.0 * (1 / 24) + g.2 * (1 / 6), middle = g.1 * (1 / 12)
        return (g.0 * (1 / 4), -(outer + g.1) * (1 / 6), -(outer - g.1) * (1 / 6), outerWeighted + middle, outerWeighted - middle, g.2)
    }

    /// `Gᵀ u` for a column of six values: the adjoint of `kernel`.
    @inline(__always)
    static func kernelGradient<V: ChannelVector>(_ u: (V, V, V, V, V, V)) -> (V, V, V) {
        let sum12 = u.1 + u.2, difference12 = u.2 - u.1, sum34 = u.3 + u.4, difference34 = u.3 - u.4
        return (u.0 * (1 / 4) - sum12 * (1 / 6) + sum34 * (1 / 24),
                difference12 * (1 / 6) + difference34 * (1 / 12),
                sum34 * (1 / 6) - sum12 * (1 / 6) + u.5)
    }
}

/// `V = Bᵀ d B` for one 6×6 input tile `d`; element (i, j) of V at `destination + (6i + j) · elementStride`.
struct InputTransform4x4: ChannelKernel {
    let corner: UnsafePointer<Float>
    let rowStride: Int, columnStride: Int
    let destination: UnsafeMutablePointer<Float>
    let elementStride: Int

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func d(_ i: Int, _ j: Int) -> V { V.load(corner + i * rowStride + j * columnStride + channel) }
        @inline(__always) func column(_ j: Int) -> (V, V, V, V, V, V) {
            Winograd4x4.input((d(0, j), d(1, j), d(2, j), d(3, j), d(4, j), d(5, j)))
        }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4), c5 = column(5)
        @inline(__always) func storeRow(_ i: Int, _ row: (V, V, V, V, V, V)) {
            let transformed = Winograd4x4.input(row), base = destination + 6 * i * elementStride + channel
            transformed.0.store(to: base)
            transformed.1.store(to: base + elementStride)
            transformed.2.store(to: base + 2 * elementStride)
            transformed.3.store(to: base + 3 * elementStride)
            transformed.4.store(to: base + 4 * elementStride)
            transformed.5.store(to: base + 5 * elementStride)
        }
        storeRow(0, (c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
        storeRow(1, (c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
        storeRow(2, (c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
        storeRow(3, (c0.3, c1.3, c2.3, c3.3, c4.3, c5.3))
        storeRow(4, (c0.4, c1.4, c2.4, c3.4, c4.4, c5.4))
        storeRow(5, (c0.5, c1.5, c2.5, c3.5, c4.5, c5.5))
    }
}

/// `Y = Aᵀ M A` for one tile, plus bias and activation; writes only the `rows × columns` output
/// positions inside the plane.
struct OutputTransform4x4: ChannelKernel {
    let source: UnsafePointer<Float>
    let elementStride: Int
    let corner: UnsafeMutablePointer<Float>
    let rowStride: Int, columnStride: Int
    let rows: Int, columns: Int
    let bias: UnsafePointer<Float>?
    let activation: Activation

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func m(_ i: Int, _ j: Int) -> V { V.load(source + (6 * i + j) * elementStride + channel) }
        @inline(__always) func column(_ j: Int) -> (V, V, V, V) { Winograd4x4.output((m(0, j), m(1, j), m(2, j), m(3, j), m(4, j), m(5, j))) }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4), c5 = column(5)
        let biasValue = bias.map { V.load($0 + channel) }
        @inline(__always) func finish(_ value: V) -> V {
            var value = value
            if let biasValue { value = value + biasValue }
            return activation == .relu ? value.clampedBelowAtZero() : value
        }
        @inline(__always) func storeRow(_ i: Int, _ row: (V, V, V, V, V, V)) {
            guard i < rows else { return }
            let values = Winograd4x4.output(row), target = corner + i * rowStride + channel
            finish(values.0).store(to: target)
            if columns > 1 { finish(values.1).store(to: target + columnStride) }
            if columns > 2 { finish(values.2).store(to: target + 2 * columnStride) }
            if columns > 3 { finish(values.3).store(to: target + 3 * columnStride) }
        }
        storeRow(0, (c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
        storeRow(1, (c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
        storeRow(2, (c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
        storeRow(3, (c0.3, c1.3, c2.3, c3.3, c4.3, c5.3))
    }
}

/// `A dY Aᵀ` for one 4×4 tile of the output gradient (zero outside the `rows × columns` inside the
/// plane): the adjoint of `OutputTransform4x4`.
struct OutputGradientTransform4x4: ChannelKernel {
    let corner: UnsafePointer<Float>
    let rowStride: Int, columnStride: Int
    let rows: Int, columns: Int
    let destination: UnsafeMutablePointer<Float>
    let elementStride: Int

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func y(_ i: Int, _ j: Int) -> V {
            i < rows && j < columns ? V.load(corner + i * rowStride + j * columnStride + channel) : V.zero
        }
        @inline(__always) func column(_ j: Int) -> (V, V, V, V, V, V) { Winograd4x4.outputGradient((y(0, j), y(1, j), y(2, j), y(3, j))) }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
        @inline(__always) func storeRow(_ i: Int, _ row: (V, V, V, V)) {
            let values = Winograd4x4.outputGradient(row), base = destination + 6 * i * elementStride + channel
            values.0.store(to: base)
            values.1.store(to: base + elementStride)
            values.2.store(to: base + 2 * elementStride)
            values.3.store(to: base + 3 * elementStride)
            values.4.store(to: base + 4 * elementStride)
            values.5.store(to: base + 5 * elementStride)
        }
        storeRow(0, (c0.0, c1.0, c2.0, c3.0))
        storeRow(1, (c0.1, c1.1, c2.1, c3.1))
        storeRow(2, (c0.2, c1.2, c2.2, c3.2))
        storeRow(3, (c0.3, c1.3, c2.3, c3.3))
        storeRow(4, (c0.4, c1.4, c2.4, c3.4))
        storeRow(5, (c0.5, c1.5, c2.5, c3.5))
    }
}

/// `U = G g Gᵀ` for one 3×3 kernel (or the kernel rotated 180°, for the input gradient).
struct KernelTransform4x4: ChannelKernel {
    /// Tap (ky, kx) of the kernel is at `source + (3 ky + kx) · tapStride`, or tap (2 − ky, 2 − kx) if `rotated`.
    let source: UnsafePointer<Float>
    let tapStride: Int
    let rotated: Bool
    /// Element ξ of U goes to `destination + ξ · elementStride`.
    let destination: UnsafeMutablePointer<Float>
    let elementStride: Int

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func g(_ i: Int, _ j: Int) -> V {
            V.load(source + (rotated ? 8 - (3 * i + j) : 3 * i + j) * tapStride + channel)
        }
        let c0 = Winograd4x4.kernel((g(0, 0), g(1, 0), g(2, 0)))
        let c1 = Winograd4x4.kernel((g(0, 1), g(1, 1), g(2, 1)))
        let c2 = Winograd4x4.kernel((g(0, 2), g(1, 2), g(2, 2)))
        @inline(__always) func storeRow(_ i: Int, _ row: (V, V, V)) {
            let values = Winograd4x4.kernel(row), base = destination + 6 * i * elementStride + channel
            values.0.store(to: base)
            values.1.store(to: base + elementStride)
            values.2.store(to: base + 2 * elementStride)
            values.3.store(to: base + 3 * elementStride)
            values.4.store(to: base + 4 * elementStride)
            values.5.store(to: base + 5 * elementStride)
        }
        storeRow(0, (c0.0, c1.0, c2.0))
        storeRow(1, (c0.1, c1.1, c2.1))
        storeRow(2, (c0.2, c1.2, c2.2))
        storeRow(3, (c0.3, c1.3, c2.3))
        storeRow(4, (c0.4, c1.4, c2.4))
        storeRow(5, (c0.5, c1.5, c2.5))
    }
}

/// `dg = Gᵀ dU G`: the kernel gradient from its Winograd-domain gradient.
struct KernelGradientTransform4x4: ChannelKernel {
    /// Element ξ of dU is at `source + ξ · elementStride`.
    let source: UnsafePointer<Float>
    let elementStride: Int
    /// Tap (ky, kx) of the kernel gradient goes to `destination + (3 ky + kx) · tapStride`.
    let destination: UnsafeMutablePointer<Float>
    let tapStride: Int

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func u(_ i: Int, _ j: Int) -> V { V.load(source + (6 * i + j) * elementStride + channel) }
        @inline(__always) func column(_ j: Int) -> (V, V, V) {
            Winograd4x4.kernelGradient((u(0, j), u(1, j), u(2, j), u(3, j), u(4, j), u(5, j)))
        }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4), c5 = column(5)
        @inline(__always) func storeRow(_ ky: Int, _ row: (V, V, V, V, V, V)) {
            let values = Winograd4x4.kernelGradient(row), base = destination + 3 * ky * tapStride + channel
            values.0.store(to: base)
            values.1.store(to: base + tapStride)
            values.2.store(to: base + 2 * tapStride)
        }
        storeRow(0, (c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
        storeRow(1, (c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
        storeRow(2, (c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
    }
}
