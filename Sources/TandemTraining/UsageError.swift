/// A problem every rank detects identically (a bad option, a batch that does not divide): reported
/// once, by rank 0, and every rank exits with status 64 without aborting.
package struct UsageError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
