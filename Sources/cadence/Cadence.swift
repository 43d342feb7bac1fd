import ArgumentParser

@main
struct Cadence: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cadence",
        abstract: "Video understanding: decode, classify, train, extract features, measure speediness.",
        subcommands: []
    )
}
