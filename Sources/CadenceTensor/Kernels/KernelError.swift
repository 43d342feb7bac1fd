/// A kernel's geometry that cannot describe a valid computation; each case says which value is wrong.
public enum KernelError: Error, CustomStringConvertible, Equatable {
    /// A size, stride, dilation or group count that must be positive is not.
    case nonPositive(kernel: String, field: String, value: Int)
    /// Padding below zero.
    case negativePadding(kernel: String, value: Int)
    /// Channels not divisible by the group count.
    case groupsDoNotDivide(kernel: String, channels: Int, groups: Int)
    /// The (dilated) window does not fit the padded input, so the output would be empty.
    case emptyOutput(kernel: String, axis: String, input: Int, window: Int)
    /// A kernel was asked for a geometry it does not handle (for example depthwise on a dense conv).
    case unsupported(kernel: String, reason: String)

    public var description: String {
        switch self {
        case let .nonPositive(kernel, field, value):
            return "\(kernel): \(field) must be positive, got \(value)"
        case let .negativePadding(kernel, value):
            return "\(kernel): padding must not be negative, got \(value)"
        case let .groupsDoNotDivide(kernel, channels, groups):
            return "\(kernel): \(channels) channels are not divisible into \(groups) groups"
        case let .emptyOutput(kernel, axis, input, window):
            return "\(kernel): window of \(window) does not fit padded \(axis) extent \(input)"
        case let .unsupported(kernel, reason):
            return "\(kernel): \(reason)"
        }
    }
}
