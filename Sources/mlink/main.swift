import MLinkCLI
MLinkCommand.main()
