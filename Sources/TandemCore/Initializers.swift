/// Keras's `glorot_uniform`: uniform in ±sqrt(6 / (fanIn + fanOut)), drawn in flat-buffer order.
func glorotUniform(_ values: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int,
                   generator: inout RandomGenerator) {
    let limit = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
    for index in 0..<count {
        values[index] = (2 * generator.nextUnitFloat() - 1) * limit
    }
}
