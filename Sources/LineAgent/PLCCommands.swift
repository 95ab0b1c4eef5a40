// Subcommands of the PLC issue (`lineagent plc watch`) are listed here.
import ArgumentParser

let plcCommands: [any ParsableCommand.Type] = []
