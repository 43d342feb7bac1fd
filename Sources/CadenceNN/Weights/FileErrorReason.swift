import Foundation

/// Why a file operation failed, in the system's words. On Linux, Foundation's file errors describe
/// themselves as "The operation could not be completed" (with a domain and a code) and keep the
/// cause, such as ENOENT, EEXIST or EACCES, as an underlying POSIX error; this reads that cause.
public enum FileErrorReason {
    public static func of(_ error: Error) -> String {
        let described = error as NSError
        // The underlying error is a Swift `POSIXError` on Linux, so it is taken as `Error` and bridged.
        let underlying = (described.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
        for candidate in [described, underlying] {
            if let candidate, candidate.domain == NSPOSIXErrorDomain {
                return String(cString: strerror(Int32(candidate.code))).lowercased()
            }
        }
        return described.localizedDescription
    }
}
