"""Aandacht: a live customer-experience workshop game.

This package imports nothing at load time on purpose: the server entry point
(``python -m game serve``) must be able to monkey-patch before anything else.
"""
