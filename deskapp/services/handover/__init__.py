"""The change of shift (交接班): shifts, the duty log, and the handover's assembly."""
