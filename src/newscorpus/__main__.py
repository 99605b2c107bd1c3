from newscorpus.cli import main

main()
