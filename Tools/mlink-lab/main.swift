// mlink-lab: the lab tool (test tooling, not installed). All logic lives in MLinkLab.
import MLinkLab
LabCommand.main()
