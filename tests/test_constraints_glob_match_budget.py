"""Matching denial of service: one path against any glob set accepted at parse is quick.

Once a glob set's DFA budget was used up, each path was matched by stepping a set of NFA
states per character, a Python loop over every active state: under
``"data/" + "*?" * 4990`` (within the state budget, and a valid tightening of
``data/**``) each distinct 4,095-character path took 4 to 10 seconds. The matcher now
steps every state at once on bit masks, at most one step per character, so a path of
`MAX_PATH_LENGTH` characters costs tens of milliseconds whatever the glob set. The worst
shapes run in a subprocess under a generous time and address-space limit, so a
regression fails here instead of hanging the suite; they are the only tests here that
read a clock, as the house rules allow for DoS regressions.
"""

from __future__ import annotations

from tests.bounded import run_bounded


def test_checking_any_path_against_any_accepted_glob_set_is_quick() -> None:
    results = run_bounded(
        """
        import json, random, time
        from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
        from trust.constraints.builtin import register_builtin_dimensions
        registry = ConstraintDimensionRegistry()
        register_builtin_dimensions(registry)
        evaluator = MultiDimensionEvaluator(registry)
        choose = random.Random(7).choice

        def letters(n):
            return "".join(choose("ab") for _ in range(n))

        han = [c for c in map(chr, range(0x4E00, 0x4E00 + 12000)) if c.isprintable()][:9990]
        lengths = [140 + k for k in range(50)]
        x_segments = ["x"] * 2048
        cases = {
            # The review's case: a valid tightening of data/**, no path long enough.
            "data/ + *? x 4990": (
                ["data/" + "*?" * 4990],
                lambda i: "data/" + ("ab" * 2100)[:4089] + str(i),
                lambda path: False,
            ),
            "*? x 4999": (["*?" * 4999], lambda i: letters(4096), lambda path: False),
            "*a + ? x 9990": (["*a" + "?" * 9990], lambda i: letters(4096), lambda p: False),
            "*a + ? x 4000": (
                ["*a" + "?" * 4000], lambda i: letters(4096), lambda p: p[-4001] == "a"
            ),
            "*a*a...*a*b": (["*a" * 4999 + "*b"], lambda i: "a" * 4095 + "b", lambda p: False),
            "**/x x 1990": (
                ["/".join(["**", "x"] * 1990)],
                lambda i: "/".join(x_segments[:i] + ["y"] + x_segments[i + 1 :]),
                lambda path: True,
            ),
            "50 conjuncts *a + ? x 140..189": (
                {"all_of": [["*a" + "?" * n] for n in lengths]},
                lambda i: letters(4096),
                lambda p: all(p[-n - 1] == "a" for n in lengths),
            ),
            "9,990 distinct characters": (
                ["".join(han)], lambda i: "".join(han[:4095]) + str(i), lambda p: False
            ),
            "4,000 distinct characters, then *": (
                ["".join(han[:4000]) + "*"],
                lambda i: "".join(han[:4000]) + letters(96),
                lambda path: True,
            ),
        }
        results = {}
        for name, (globs, make_path, expected) in cases.items():
            constraints = {"resources": globs}
            evaluator.evaluate(constraints, {"resource_requested": "warm"})  # parse, build
            runs = []
            for i in range(4):
                path = make_path(i)
                assert len(path) <= 4096, (name, len(path))
                started = time.perf_counter()
                result = evaluator.evaluate(constraints, {"resource_requested": path})
                seconds = time.perf_counter() - started
                runs.append([result.satisfied == expected(path), seconds])
            results[name] = runs
        print(json.dumps(results))
        """,
        timeout=120,
    )
    print({name: max(seconds for _, seconds in runs) for name, runs in results.items()})
    for name, runs in results.items():
        for right, seconds in runs:
            assert right, name
            assert seconds < 1.0, (name, seconds)  # tens of milliseconds; generous here
