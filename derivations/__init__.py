"""The derivations of the notes, one module each; every module defines ``build()``."""
