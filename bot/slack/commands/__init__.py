"""The `/symbl` command (and its @mention form): `grammar` parses the text into a `Command`."""
