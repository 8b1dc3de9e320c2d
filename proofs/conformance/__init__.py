"""Conformance: the proof run holds the code that runs to what is proved.

Each module drives real runtime entry points (not copies of their rules) and compares
them with the spec or the z3 encoding the proofs are about, on a stated bound.
"""
