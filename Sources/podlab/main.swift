import PodlabCLI

PodlabCommand.main()
