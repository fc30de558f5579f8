"""Huiku core: app factory, models, accounts, collections, records and their lifecycle."""
