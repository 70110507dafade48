from rb_lint.cli import main

main()
