from rb_lint.cli import run

run()
