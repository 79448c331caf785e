"""One module per socbot subcommand group; each has register(subparsers)."""
