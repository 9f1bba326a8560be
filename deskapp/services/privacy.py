"""Personal data leaves the desk masked: phones ``138****5678``, IDs ``…1234``."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a phone number; hide the rest."""
    if len(phone) <= 7:
        return "*" * max(0, len(phone) - 4) + phone[-4:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(number: str) -> str:
    """Show only the last 4 characters of an ID number."""
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]
