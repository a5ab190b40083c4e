"""Vendor dialects: how each module family says the same things."""
