"""One module per `enforcer` command (as pre-commit's ``commands/``): each reads its options,
gathers the facts, asks the core, renders, and returns the exit code. enforcer.cli registers
them on the group."""
