"""Conformance: the proof run holds the code that runs to what is proved.

Each check drives the real runtime (the posture machine, the breaker, the coupling, the
constraint entry points) and compares what it does with the spec or the twin the proofs
are about, so that a bug planted in the runtime fails ``python -m proofs`` with a
counterexample. What a check does not cover is its `proofs.Property.bound`.
"""
