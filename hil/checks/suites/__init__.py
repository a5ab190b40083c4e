"""Built-in suite files (package data: *.yaml), read by hil.checks.suite.builtin_suite."""
