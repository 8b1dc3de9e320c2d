"""Conformance: ``python -m proofs`` holds the code that runs to what is proved.

Each topic compares the runtime with the twin or spec its proofs are about, on bounded
universes named in each property's ``bound`` (``--deep`` for larger ones):
`proofs.conformance.dimensions` for the six built-in dimensions.
"""
