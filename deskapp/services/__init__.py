"""Domain operations of the desk. Plain functions taking a session and explicit
arguments (including ``now``); no Textual, Typer or Rich here."""
