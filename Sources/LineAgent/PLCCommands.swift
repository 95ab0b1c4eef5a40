// Subcommands of the PLC issue (`lineagent plc watch`) are listed here.
import ArgumentParser

let plcCommands: [any ParsableCommand.Type] = [PLCCommand.self]

/// `lineagent plc …`: commands for the line PLC.
struct PLCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plc",
        abstract: "Check the link to a line's PLC.",
        subcommands: [PLCWatch.self])
}
