"""The `/symbl` command (and its @mention form).

`registry` lists the subcommands, each with its argument parser and handler; `grammar` holds the tokenizer,
the parsed `Command` and the argument parsers they share.
"""
