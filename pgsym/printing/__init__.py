"""Printers: one module per output format, all reading a ``Derivation`` and its report."""
