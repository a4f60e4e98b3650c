"""Matplotlib views of symnn's mathematics: every function takes ``ax=None``, returns the Axes and never shows."""
