import ArgumentParser
import MLinkCLI
MLinkCommand.main()
