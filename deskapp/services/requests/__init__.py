"""Requests (报事/投诉/报修): intake, lifecycle, severity rules, deadlines, work orders."""
