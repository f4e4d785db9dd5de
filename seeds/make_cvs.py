"""Generate the demo candidates' CVs (PDF, DOCX, TXT; French and English) once.

    python seeds/make_cvs.py

Deterministic: the same script writes the same ``seeds/cvs/*`` files and ``seeds/candidates.json``
(PDF and DOCX timestamps are fixed). The generated files are committed; the seed loader only
reads them. PDFs use the DejaVu Sans TrueType font when it is installed (full Unicode), else
fpdf2's core Helvetica (latin-1, enough for French).
"""

from __future__ import annotations

import json
import random
import unicodedata
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
CVS = HERE / "cvs"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FIXED_DATE = datetime(2026, 1, 15, 9, 0, 0)
SEED = 20260115

# The material the CVs are drawn from (first and last names, cities, and per family of jobs:
# target offers, titles, experiences as [title, employers, tasks], skills, education; the
# section headings and month names per language) is data, kept apart from the code that
# writes the files.
DATA = HERE / "data" / "cv_material.json"
_MATERIAL = json.loads(DATA.read_text("utf-8"))
FIRST_F: list[str] = _MATERIAL["FIRST_F"]
FIRST_M: list[str] = _MATERIAL["FIRST_M"]
LAST: list[str] = _MATERIAL["LAST"]
CITIES: list[str] = _MATERIAL["CITIES"]
FAMILIES: dict[str, dict] = _MATERIAL["FAMILIES"]
LANG_LINES: dict[str, list[list[str]]] = _MATERIAL["LANG_LINES"]
HEAD: dict[str, dict[str, str]] = _MATERIAL["HEAD"]
MONTHS: dict[str, list[str]] = _MATERIAL["MONTHS"]


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def month(lang: str, year: int, m: int) -> str:
    return f"{MONTHS[lang][m - 1]} {year}"


def build_candidates() -> list[dict]:
    rng = random.Random(SEED)
    people: list[dict] = []
    used: set[str] = set()
    index = 0
    formats = ["pdf", "docx", "txt"]
    for family, spec in FAMILIES.items():
        for k in range(spec["count"]):
            index += 1
            lang = "en" if (index % 4 == 0 and spec["jobs"].get("en")) else "fr"
            female = rng.random() < 0.55
            while True:
                first = rng.choice(FIRST_F if female else FIRST_M)
                last = rng.choice(LAST)
                if (first, last) not in used:
                    used.add((first, last))
                    break
            fmt = formats[(index + k) % 3]
            title = spec["titles"][lang][k % len(spec["titles"][lang])]
            pool = spec["jobs"][lang]
            n_jobs = 2 if rng.random() < 0.6 else 3
            year = 2026
            jobs = []
            for j in range(n_jobs):
                job_title, employers, tasks = pool[(k + j) % len(pool)]
                length = rng.randint(2, 5)
                start = year - length
                jobs.append(
                    {
                        "title": job_title,
                        "employer": rng.choice(employers),
                        "start": month(lang, start, rng.randint(1, 12)),
                        "end": None if j == 0 else month(lang, year, rng.randint(1, 12)),
                        "tasks": rng.sample(tasks, k=min(len(tasks), rng.randint(2, 3))),
                    }
                )
                year = start
            skill_pool = spec["skills"] if lang == "fr" else spec["skills_en"]
            skills = rng.sample(skill_pool, k=min(len(skill_pool), rng.randint(3, 5)))
            experience_years = 2026 - year
            summary = (
                f"{title} avec {experience_years} ans d'expérience, motivé(e) par le service public régional."
                if lang == "fr"
                else f"{title} with {experience_years} years of experience, keen to serve the public."
            )
            name = f"{first} {last}"
            people.append(
                {
                    "first_name": first,
                    "last_name": last,
                    "email": f"{slug(first)}.{slug(last)}@example.org",
                    "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                    "city": rng.choice(CITIES),
                    "linkedin_url": f"https://www.linkedin.com/in/{slug(name)}",
                    "lang": lang,
                    "family": family,
                    "title": title,
                    "summary": summary,
                    "jobs": jobs,
                    "education": rng.choice(spec["education"][lang]),
                    "skills": skills,
                    "languages": rng.choice(LANG_LINES[lang]),
                    "targets": rng.sample(
                        spec["offers"], k=min(len(spec["offers"]), 1 + (rng.random() < 0.35))
                    ),
                    "cv": f"{index:02d}-{slug(name)}.{fmt}",
                }
            )
    return people


def cv_lines(p: dict) -> list[tuple[str, str]]:
    """(style, text) lines of a CV: h1, h2, h3, p, li."""
    h = HEAD[p["lang"]]
    lines = [("h1", f"{p['first_name']} {p['last_name']}"), ("p", p["title"])]
    lines.append(("p", f"{p['city']} · {p['email']} · {p['phone']}"))
    lines.append(("p", p["linkedin_url"]))
    lines += [("h2", h["profile"]), ("p", p["summary"]), ("h2", h["experience"])]
    for job in p["jobs"]:
        period = (
            f"{h['since']} {job['start']}"
            if job["end"] is None
            else f"{job['start']} – {job['end']}"
        )
        lines.append(("h3", f"{job['title']} — {job['employer']} ({period})"))
        lines += [("li", task) for task in job["tasks"]]
    lines += [("h2", h["education"]), ("p", p["education"]), ("h2", h["skills"])]
    lines += [("li", s) for s in p["skills"]]
    lines += [("h2", h["languages"])] + [("li", lang) for lang in p["languages"]]
    return lines


def write_txt(path: Path, p: dict) -> None:
    out = []
    for style, text in cv_lines(p):
        if style == "h1":
            out += [text.upper(), "=" * len(text)]
        elif style == "h2":
            out += ["", text, "-" * len(text)]
        elif style == "li":
            out.append(f"- {text}")
        else:
            out.append(text)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def write_docx(path: Path, p: dict) -> None:
    import docx

    document = docx.Document()
    document.core_properties.created = FIXED_DATE
    document.core_properties.modified = FIXED_DATE
    document.core_properties.last_modified_by = "Relais"
    document.core_properties.author = f"{p['first_name']} {p['last_name']}"
    for style, text in cv_lines(p):
        if style == "h1":
            document.add_heading(text, level=0)
        elif style == "h2":
            document.add_heading(text, level=1)
        elif style == "h3":
            document.add_heading(text, level=2)
        elif style == "li":
            document.add_paragraph(text, style="List Bullet")
        else:
            document.add_paragraph(text)
    document.save(str(path))
    _fix_zip_dates(path)


def _fix_zip_dates(path: Path) -> None:
    """Rewrite the archive with fixed member dates, so the file is byte-for-byte reproducible."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(fixed, data)


def write_pdf(path: Path, p: dict) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(f"CV {p['first_name']} {p['last_name']}")
    pdf.set_author(f"{p['first_name']} {p['last_name']}")
    if (DEJAVU / "DejaVuSans.ttf").exists():
        pdf.add_font("DejaVu", "", str(DEJAVU / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"

        def clean(text: str) -> str:
            return text
    else:  # pragma: no cover - a machine without DejaVu
        family = "Helvetica"

        def clean(text: str) -> str:
            return (
                text.replace("—", "-")
                .replace("–", "-")
                .replace("·", "-")
                .replace("œ", "oe")
                .replace("’", "'")
            )

    pdf.add_page()
    pdf.set_margins(18, 18, 18)
    width = pdf.w - 36
    for style, text in cv_lines(p):
        text = clean(text)
        if style == "h1":
            pdf.set_font(family, "B", 18)
            pdf.multi_cell(width, 9, text, new_x="LMARGIN", new_y="NEXT")
        elif style == "h2":
            pdf.ln(3)
            pdf.set_font(family, "B", 13)
            pdf.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        elif style == "h3":
            pdf.set_font(family, "B", 10.5)
            pdf.multi_cell(width, 6, text, new_x="LMARGIN", new_y="NEXT")
        elif style == "li":
            pdf.set_font(family, "", 10.5)
            pdf.multi_cell(
                width,
                5.5,
                "• " + text if family == "DejaVu" else "- " + text,
                new_x="LMARGIN",
                new_y="NEXT",
            )
        else:
            pdf.set_font(family, "", 10.5)
            pdf.multi_cell(width, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def main() -> None:
    CVS.mkdir(exist_ok=True)
    for old in CVS.iterdir():
        old.unlink()
    people = build_candidates()
    for p in people:
        path = CVS / p["cv"]
        {"pdf": write_pdf, "docx": write_docx, "txt": write_txt}[path.suffix[1:]](path, p)
    keep = (
        "first_name",
        "last_name",
        "email",
        "phone",
        "city",
        "linkedin_url",
        "lang",
        "family",
        "title",
        "skills",
        "targets",
        "cv",
    )
    (HERE / "candidates.json").write_text(
        json.dumps([{k: p[k] for k in keep} for p in people], ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    print(f"{len(people)} CVs written to {CVS}")


if __name__ == "__main__":
    main()
