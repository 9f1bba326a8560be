"""Custody ledgers (寄存/失物招领/钥匙/快递): one engine and the four ledgers built on it."""
