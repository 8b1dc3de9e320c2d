"""Conformance: ``python -m trust.proofs`` holds the code that runs to what is proved.

Each topic drives real runtime entry points (not copies of their rules) and compares them
with the spec, twin or z3 encoding its proofs are about, on bounded universes named in
each property's ``bound`` (``--deep`` for larger ones): `proofs.conformance.dimensions`
for the six built-in dimensions, `proofs.conformance.modes` for the evaluator's entry
points under the interaction modes, `proofs.conformance.lifecycles` for the posture
machine, the circuit breaker and their coupling.
"""
