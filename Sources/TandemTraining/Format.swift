/// Formats numbers for reports without Foundation's locale machinery.
package enum Format {
    package static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let integer = Int(rounded / scale)
        var fraction = String(Int(rounded - Double(integer) * scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return (value < 0 && rounded > 0 ? "-" : "") + "\(integer)" + (digits > 0 ? "." + fraction : "")
    }

    package static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }
}
