"""The custody screens: storage (F5) and the other ledgers (F8: lost and found, keys, parcels)."""
