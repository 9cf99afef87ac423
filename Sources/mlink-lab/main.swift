import MLinkLab
LabCommand.main()
