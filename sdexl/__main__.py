from sdexl.cli import main

main()
