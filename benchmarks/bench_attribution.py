"""Benchmark: precision and recall of the accounts paperharvest would show, over the labelled homepage corpus
(tests/fixtures/attribution: 85 pages, 113 listings, in the styles real researchers use). Goals (issue 9):
precision >= 0.99 on what paper_summary shows, recall >= 0.95. A benchmark reports; the test asserts."""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.attribution_corpus import evaluate  # noqa: E402


def main() -> int:
    started = time.perf_counter()
    score = evaluate()
    seconds = time.perf_counter() - started
    print("account attribution over the labelled corpus (tests/fixtures/attribution):")
    tally = f"{score.true_positive} / {score.false_positive} / {score.false_negative}"
    print(f"  shown accounts right / wrong / missed  {tally}")
    print(f"  precision                              {score.precision:.3f}  (goal >= 0.99)")
    print(f"  recall                                 {score.recall:.3f}  (goal >= 0.95)")
    print(f"  page owner right                       {score.owner_right} of {score.owner_total}")
    print(f"  seconds (read every page, decide all)  {seconds:.2f}")
    for line in score.wrong:
        print(f"  wrong: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
