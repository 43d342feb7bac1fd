import Foundation

/// Where to resize and crop a frame, as pure geometry following PySlowFast's `spatial_sampling`
/// (`transform.random_short_side_scale_jitter`, `random_crop`, `uniform_crop`, `horizontal_flip`).
public struct CropPlan: Sendable, Equatable {
    /// Size to resize the frame to before cropping (short side scaled, long side floored).
    public var resizedWidth: Int
    public var resizedHeight: Int
    /// Top-left corner and side of the square crop in the resized frame.
    public var x: Int
    public var y: Int
    public var side: Int
    public var flip: Bool

    public init(resizedWidth: Int, resizedHeight: Int, x: Int, y: Int, side: Int, flip: Bool) {
        self.resizedWidth = resizedWidth
        self.resizedHeight = resizedHeight
        self.x = x
        self.y = y
        self.side = side
        self.flip = flip
    }
}

public enum SpatialSampling {
    /// The size a `width x height` frame has after scaling its short side to `shortSide`; the long side
    /// is `floor(long / short * shortSide)` as PySlowFast computes it. Frames whose short side already
    /// equals `shortSide` keep their size.
    public static func scaledSize(width: Int, height: Int, shortSide: Int) -> (width: Int, height: Int) {
        if (width <= height && width == shortSide) || (height <= width && height == shortSide) {
            return (width, height)
        }
        if width < height {
            return (shortSide, Int((Double(height) / Double(width) * Double(shortSide)).rounded(.down)))
        }
        return (Int((Double(width) / Double(height) * Double(shortSide)).rounded(.down)), shortSide)
    }

    /// Training: short side jittered uniformly in `jitter` (rounded), a random square crop of `crop`,
    /// and a horizontal flip with probability 0.5 when `flip` is on.
    public static func training<G: RandomNumberGenerator>(
        width: Int, height: Int, jitter: ClosedRange<Int>, crop: Int, flip: Bool = true, using generator: inout G
    ) -> CropPlan {
        let shortSide = Int(Double.random(in: Double(jitter.lowerBound)...Double(jitter.upperBound), using: &generator)
            .rounded(.toNearestOrEven))
        let size = scaledSize(width: width, height: height, shortSide: shortSide)
        // np.random.randint(0, H - crop) excludes its upper bound; equal sizes give offset 0.
        let y = size.height > crop ? Int.random(in: 0..<(size.height - crop), using: &generator) : 0
        let x = size.width > crop ? Int.random(in: 0..<(size.width - crop), using: &generator) : 0
        let flipped = flip && Double.random(in: 0..<1, using: &generator) < 0.5
        return CropPlan(resizedWidth: size.width, resizedHeight: size.height, x: x, y: y, side: crop, flip: flipped)
    }

    /// Testing: short side scaled to `shortSide`, then crop `index` of `crops` (1: centre; 3: left,
    /// centre, right for landscape frames, top, centre, bottom for portrait ones).
    public static func testing(width: Int, height: Int, shortSide: Int, crop: Int, index: Int, of crops: Int) -> CropPlan {
        let size = scaledSize(width: width, height: height, shortSide: shortSide)
        var y = Int((Double(size.height - crop) / 2).rounded(.up))
        var x = Int((Double(size.width - crop) / 2).rounded(.up))
        if crops == 3 {
            if size.height > size.width {
                if index == 0 { y = 0 } else if index == 2 { y = size.height - crop }
            } else {
                if index == 0 { x = 0 } else if index == 2 { x = size.width - crop }
            }
        }
        return CropPlan(resizedWidth: size.width, resizedHeight: size.height, x: x, y: y, side: crop, flip: false)
    }
}
