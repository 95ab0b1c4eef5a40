import ArgumentParser

/// `lineagent`: the line-side agent of QazLine.
@main
struct LineAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineagent",
        abstract: "Line-side track-and-trace for excise-stamped alcohol: reads stamp QR codes, rejects bad bottles, activates good ones.",
        version: QazLineVersion.string,
        subcommands: [CheckConfig.self] + visionCommands + plcCommands + operatorCommands + consoleCommands + aggregationCommands
            + agentCommands + backupCommands)
}

/// The version printed by `--version`.
enum QazLineVersion {
    static let string = "0.1.0"
}
