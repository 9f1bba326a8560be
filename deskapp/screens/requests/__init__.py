"""The requests screens: intake (F3), the queue (F4) and the request record."""
