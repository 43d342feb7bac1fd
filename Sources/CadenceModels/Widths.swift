/// PySlowFast's `round_width`: scales `width` by `multiplier` and rounds to a multiple of
/// `divisor`, never dropping more than 10% below the scaled value.
func roundWidth(_ width: Int, _ multiplier: Double, minWidth: Int = 1, divisor: Int = 1) -> Int {
    let scaled = Double(width) * multiplier
    var rounded = max(minWidth, Int(scaled + Double(divisor) / 2) / divisor * divisor)
    if Double(rounded) < 0.9 * scaled { rounded += divisor }
    return rounded
}
