from sdexl.cli import run

run()
