/// Which multigrid cycles a run uses (`cadence train --multigrid`).
public enum MultigridMode: String, Codable, Sendable, CaseIterable {
    case long
    case short
    case longShort = "long+short"

    public var longCycle: Bool { self != .short }
    public var shortCycle: Bool { self != .long }
}
