import CFFmpeg
import Foundation

/// Keeps FFmpeg's log off the terminal while remembering its recent warnings and errors, so that
/// a `VideoError` can quote FFmpeg's own explanation (for example "moov atom not found").
/// Set `CADENCE_FFMPEG_LOG=1` in the environment to see FFmpeg's messages on stderr as well.
enum FFmpegLog {
    private struct Entry {
        var context: UnsafeMutableRawPointer?
        var text: String
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var entries: [Entry] = []
    /// Error messages per decoder, keyed by the token a session stores in `AVCodecContext.opaque`.
    nonisolated(unsafe) private static var decoderErrors: [UnsafeMutableRawPointer: (count: Int, last: String)] = [:]
    private static let capacity = 64
    private static let echo = ProcessInfo.processInfo.environment["CADENCE_FFMPEG_LOG"] == "1"

    /// Installs the capturing log callback once per process.
    static let install: Void = {
        av_log_set_level(AV_LOG_WARNING)
        av_log_set_callback { context, level, format, arguments in
            guard level <= AV_LOG_WARNING, let format, let arguments else { return }
            var buffer = [CChar](repeating: 0, count: 1024)
            _ = vsnprintf(&buffer, buffer.count, format, arguments)
            let text = String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return }
            if FFmpegLog.echo {
                FileHandle.standardError.write(Data("[ffmpeg] \(text)\n".utf8))
            }
            FFmpegLog.record(Entry(context: context, text: text))
            // Frame-threaded decoders log from copies of the codec context; the copies keep `opaque`,
            // which identifies the session whose stream is damaged.
            if level <= AV_LOG_ERROR, let context,
               context.load(as: UnsafePointer<AVClass>?.self) == avcodec_get_class(),
               let owner = context.assumingMemoryBound(to: AVCodecContext.self).pointee.opaque {
                FFmpegLog.countDecoderError(owner: owner, text: text)
            }
        }
    }()

    private static func record(_ entry: Entry) {
        lock.lock()
        defer { lock.unlock() }
        entries.append(entry)
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    private static func countDecoderError(owner: UnsafeMutableRawPointer, text: String) {
        lock.lock()
        defer { lock.unlock() }
        decoderErrors[owner] = ((decoderErrors[owner]?.count ?? 0) + 1, text)
    }

    /// How many errors the decoder tagged with `owner` logged, and the last one.
    static func decoderErrors(owner: UnsafeMutableRawPointer) -> (count: Int, last: String)? {
        lock.lock()
        defer { lock.unlock() }
        return decoderErrors[owner]
    }

    /// Forgets a closed decoder's errors.
    static func forget(owner: UnsafeMutableRawPointer) {
        lock.lock()
        defer { lock.unlock() }
        decoderErrors[owner] = nil
    }

    /// The most recent message logged by one of `contexts` (FFmpeg passes the logging object's address).
    static func lastMessage(from contexts: [UnsafeMutableRawPointer?]) -> String? {
        lock.lock()
        defer { lock.unlock() }
        let wanted = Set(contexts.compactMap { $0 })
        return entries.last { entry in entry.context.map(wanted.contains) ?? false }?.text
    }
}

/// FFmpeg's description of an error code, e.g. "Invalid data found when processing input".
func ffmpegErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard av_strerror(code, &buffer, buffer.count) == 0 else { return "FFmpeg error \(code)" }
    return String(cString: buffer)
}
