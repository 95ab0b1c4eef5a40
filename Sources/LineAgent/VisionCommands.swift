// Subcommands of the vision issue (`lineagent decode`, `lineagent calibrate`) are listed here.
import ArgumentParser

let visionCommands: [any ParsableCommand.Type] = []
