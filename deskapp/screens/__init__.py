"""One module per desk task. Screens compose widgets, react to keys and call one
service function per user action; rules and queries live in ``deskapp.services``."""
