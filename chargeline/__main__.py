from chargeline.cli import main

main()
