import ArgumentParser

/// Cadence's side of `make bench`: each subcommand times one kind of work and prints JSON lines
/// that scripts/bench puts beside the reference implementations' numbers.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cadence-bench",
        abstract: "Benchmarks for make bench (run through scripts/bench, which adds the references).",
        subcommands: [DecodeBench.self, OpsBench.self, ModelsBench.self, TrainBench.self, SpeedinessBench.self]
    )
}
