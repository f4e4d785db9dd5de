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

FIRST_F = [
    "Camille",
    "Manon",
    "Inès",
    "Chloé",
    "Sarah",
    "Lina",
    "Jade",
    "Louise",
    "Léna",
    "Zoé",
    "Anaïs",
    "Clémence",
    "Margaux",
    "Yasmine",
    "Elsa",
    "Amélie",
    "Noémie",
    "Salomé",
    "Océane",
    "Agathe",
]
FIRST_M = [
    "Hugo",
    "Louis",
    "Nathan",
    "Théo",
    "Enzo",
    "Mathis",
    "Raphaël",
    "Adam",
    "Jules",
    "Gabriel",
    "Arthur",
    "Paul",
    "Yanis",
    "Bastien",
    "Quentin",
    "Maël",
    "Rayan",
    "Loïc",
    "Clément",
    "Benjamin",
]
LAST = [
    "Lefèvre",
    "Dubois",
    "Durand",
    "Laurent",
    "Simon",
    "Michel",
    "Garcia",
    "David",
    "Bertin",
    "Roche",
    "Perret",
    "Marty",
    "Deschamps",
    "Collet",
    "Vidal",
    "Carpentier",
    "Joly",
    "Gaillard",
    "Benoît",
    "Royer",
    "Aubry",
    "Leclerc",
    "Mallet",
    "Hoarau",
    "Nguyen",
    "Kowalski",
    "Diallo",
    "Ferreira",
    "Pereira",
    "Brunet",
    "Hamon",
    "Lemoine",
    "Tessier",
    "Baron",
    "Riviere",
    "Moulin",
    "Cordier",
    "Guillot",
    "Poulain",
    "Sanchez",
    "Weber",
]
CITIES = [
    "Lyon",
    "Villeurbanne",
    "Saint-Étienne",
    "Grenoble",
    "Clermont-Ferrand",
    "Annecy",
    "Valence",
    "Roanne",
    "Chambéry",
    "Bourg-en-Bresse",
]

# Per family: target offers, titles, experiences (title, employers, tasks), skills, education.
FAMILIES: dict[str, dict] = {
    "digital": {
        "offers": ["2026-DSI-014", "2026-DSI-015", "2026-DSI-016"],
        "count": 9,
        "titles": {
            "fr": [
                "Chef de projet informatique",
                "Ingénieur réseaux",
                "Data analyst",
                "Développeur Python",
            ],
            "en": ["IT project manager", "Network engineer", "Data analyst", "Python developer"],
        },
        "jobs": {
            "fr": [
                (
                    "Chef de projet applicatif",
                    ["Conseil départemental de l'Isère", "Métropole de Lyon", "Sopra Steria"],
                    [
                        "Pilotage de projets de refonte applicative en méthodes agiles",
                        "Rédaction des cahiers des charges et suivi des prestataires",
                        "Animation des comités de projet avec les directions métiers",
                    ],
                ),
                (
                    "Ingénieur systèmes et réseaux",
                    ["CHU de Grenoble", "Orange Business", "Ville de Saint-Étienne"],
                    [
                        "Administration des serveurs Linux et de l'annuaire",
                        "Mise en œuvre d'une politique de cybersécurité",
                        "Supervision des réseaux informatiques de 40 sites",
                    ],
                ),
                (
                    "Analyste de données",
                    ["INSEE", "Keolis", "Région Occitanie"],
                    [
                        "Tableaux de bord en Python et SQL",
                        "Fiabilisation des données et publication en open data",
                        "Analyse de données de fréquentation",
                    ],
                ),
                (
                    "Développeur",
                    ["Capgemini", "Atos", "Université Lyon 1"],
                    [
                        "Développement web en Python (Django, Flask)",
                        "Conception de bases de données SQL",
                        "Tests automatisés et intégration continue",
                    ],
                ),
            ],
            "en": [
                (
                    "Project manager",
                    ["Capgemini UK", "City of Geneva", "Accenture"],
                    [
                        "Led application projects using agile methods",
                        "Wrote specifications and managed contractors",
                        "Reported to steering committees",
                    ],
                ),
                (
                    "Network engineer",
                    ["Cisco Systems", "Swisscom", "University of Leeds"],
                    [
                        "Designed and secured campus networks",
                        "Cybersecurity audits and incident response",
                        "Linux system administration",
                    ],
                ),
                (
                    "Data analyst",
                    ["Transport for London", "Deloitte", "Eurostat"],
                    [
                        "Dashboards in Python and SQL",
                        "Data analysis for public policy evaluation",
                        "Data quality and open data publication",
                    ],
                ),
            ],
        },
        "skills": [
            "gestion de projet",
            "méthodes agiles",
            "SQL",
            "Python",
            "réseaux informatiques",
            "cybersécurité",
            "Linux",
            "analyse de données",
            "administration système",
            "développement web",
        ],
        "skills_en": [
            "project management",
            "agile methods",
            "SQL",
            "Python",
            "computer networking",
            "cybersecurity",
            "Linux",
            "data analysis",
            "system administration",
            "web development",
        ],
        "education": {
            "fr": [
                "Master en informatique, Université Grenoble Alpes",
                "Diplôme d'ingénieur, INSA Lyon",
                "Master statistique et science des données, Université Lyon 2",
            ],
            "en": [
                "MSc Computer Science, University of Manchester",
                "BEng Network Engineering, TU Delft",
            ],
        },
    },
    "hr": {
        "offers": ["2026-DRH-021", "2026-DRH-022"],
        "count": 6,
        "titles": {
            "fr": ["Gestionnaire paie", "Chargée de recrutement", "Gestionnaire RH"],
            "en": ["HR officer", "Recruiter"],
        },
        "jobs": {
            "fr": [
                (
                    "Gestionnaire paie et carrières",
                    [
                        "Centre de gestion du Rhône",
                        "Ville de Villeurbanne",
                        "Département de la Loire",
                    ],
                    [
                        "Préparation et contrôle de la paie de 300 agents",
                        "Instruction des actes de gestion des carrières",
                        "Application du statut de la fonction publique territoriale",
                    ],
                ),
                (
                    "Chargée de recrutement",
                    ["Adecco", "Hospices civils de Lyon", "Métropole de Lyon"],
                    [
                        "Conduite de 80 recrutements par an",
                        "Animation d'un vivier de talents et de la cooptation",
                        "Communication digitale sur LinkedIn",
                    ],
                ),
                (
                    "Assistante ressources humaines",
                    ["Communauté d'agglomération de Valence", "Groupe SEB"],
                    [
                        "Gestion des ressources humaines au quotidien",
                        "Suivi des tableaux Excel de la masse salariale",
                        "Accueil et information des agents",
                    ],
                ),
            ],
            "en": [
                (
                    "HR officer",
                    ["NHS Trust", "Nestlé", "City of Brussels"],
                    [
                        "Payroll and career management for 500 staff",
                        "Human resources management and reporting",
                        "Recruitment campaigns",
                    ],
                ),
            ],
        },
        "skills": [
            "paie",
            "gestion des carrières",
            "recrutement",
            "gestion des ressources humaines",
            "droit des collectivités territoriales",
            "Excel",
            "communication digitale",
        ],
        "skills_en": [
            "payroll",
            "career management",
            "recruitment",
            "human resources management",
            "Excel",
        ],
        "education": {
            "fr": [
                "Licence professionnelle gestion des ressources humaines, IAE Lyon",
                "Master RH, Université Jean-Moulin Lyon 3",
            ],
            "en": ["MA Human Resource Management, University of Kent"],
        },
    },
    "finance": {
        "offers": ["2026-DFIN-008", "2026-DFIN-009"],
        "count": 6,
        "titles": {
            "fr": ["Comptable public", "Acheteuse publique", "Juriste marchés publics"],
            "en": ["Public procurement officer", "Accountant"],
        },
        "jobs": {
            "fr": [
                (
                    "Gestionnaire comptable",
                    [
                        "Direction générale des Finances publiques",
                        "Ville de Grenoble",
                        "Département du Puy-de-Dôme",
                    ],
                    [
                        "Liquidation et mandatement des dépenses en comptabilité publique",
                        "Suivi des recettes et des finances publiques",
                        "Participation à la clôture de l'exercice (M57)",
                    ],
                ),
                (
                    "Acheteur public",
                    ["UGAP", "Métropole de Lyon", "Université Clermont Auvergne"],
                    [
                        "Rédaction des pièces des marchés publics",
                        "Analyse des offres et négociation",
                        "Conseil en droit public aux services",
                    ],
                ),
                (
                    "Juriste",
                    ["Cabinet d'avocats Delsol", "Préfecture du Rhône"],
                    [
                        "Sécurisation juridique des procédures de marchés publics",
                        "Rédaction de notes en droit public",
                        "Suivi des contentieux",
                    ],
                ),
            ],
            "en": [
                (
                    "Procurement officer",
                    ["European Commission", "World Health Organization"],
                    [
                        "Ran public procurement tenders under EU directives",
                        "Contract management and supplier follow-up",
                        "Financial analysis of bids",
                    ],
                ),
            ],
        },
        "skills": [
            "comptabilité publique",
            "finances publiques",
            "marchés publics",
            "droit public",
            "analyse financière",
            "gestion des contrats",
            "Excel",
        ],
        "skills_en": [
            "public procurement",
            "contract management",
            "financial analysis",
            "public finance",
            "Excel",
        ],
        "education": {
            "fr": [
                "Master droit public des affaires, Université Lyon 3",
                "DCG, Lycée du Parc",
                "Master administration publique, IEP Grenoble",
            ],
            "en": ["LLM European Law, KU Leuven"],
        },
    },
    "building": {
        "offers": ["2026-DLYC-031", "2026-DLYC-032"],
        "count": 5,
        "titles": {
            "fr": [
                "Conducteur d'opérations",
                "Agent de maintenance des bâtiments",
                "Technicien bâtiment",
            ],
            "en": ["Construction project manager"],
        },
        "jobs": {
            "fr": [
                (
                    "Conducteur d'opérations",
                    ["Bouygues Bâtiment", "Département de l'Isère", "OPAC du Rhône"],
                    [
                        "Conduite d'opérations de construction de collèges",
                        "Suivi de la maîtrise d'œuvre et des marchés publics de travaux",
                        "Gestion budgétaire des opérations",
                    ],
                ),
                (
                    "Agent de maintenance",
                    ["Lycée Jean-Monnet", "Ville de Roanne", "Résidence Domitys"],
                    [
                        "Maintenance des bâtiments : plomberie, électricité, peinture",
                        "Diagnostic des pannes et petits travaux",
                        "Travail en équipe avec les entreprises extérieures",
                    ],
                ),
            ],
            "en": [
                (
                    "Construction project manager",
                    ["Skanska", "Balfour Beatty"],
                    [
                        "Managed school construction projects",
                        "Public procurement of works",
                        "Budget management and site follow-up",
                    ],
                ),
            ],
        },
        "skills": [
            "conduite d'opérations de construction",
            "maintenance des bâtiments",
            "marchés publics",
            "gestion budgétaire",
            "travail en équipe",
            "transition écologique",
        ],
        "skills_en": [
            "construction project management",
            "building maintenance",
            "budget management",
            "teamwork",
        ],
        "education": {
            "fr": [
                "Diplôme d'ingénieur génie civil, École centrale de Lyon",
                "CAP maintenance des bâtiments de collectivités",
                "BTS bâtiment",
            ],
            "en": ["MSc Construction Management, University of Reading"],
        },
    },
    "school": {
        "offers": ["2026-DLYC-033"],
        "count": 3,
        "titles": {
            "fr": ["Assistante d'éducation", "Gestionnaire vie scolaire"],
            "en": ["School administrator"],
        },
        "jobs": {
            "fr": [
                (
                    "Assistante d'éducation",
                    ["Lycée Ampère", "Collège Jean-Jaurès"],
                    [
                        "Suivi de la vie scolaire et des élèves",
                        "Accueil du public et des familles",
                        "Accompagnement des projets des délégués",
                    ],
                ),
            ],
            "en": [
                (
                    "School administrator",
                    ["Lycée français de Londres"],
                    ["School life and student support", "Front desk and parents' information"],
                ),
            ],
        },
        "skills": ["vie scolaire", "accueil du public", "communication", "bureautique"],
        "skills_en": ["school life", "front desk", "communications"],
        "education": {
            "fr": ["Licence sciences de l'éducation, Université Lyon 2"],
            "en": ["BA Education Studies, University of Bristol"],
        },
    },
    "transport": {
        "offers": ["2026-DTRA-011", "2026-DTRA-012"],
        "count": 5,
        "titles": {
            "fr": ["Chargé d'exploitation transport", "Chargée d'études mobilité"],
            "en": ["Transport planner"],
        },
        "jobs": {
            "fr": [
                (
                    "Chargé d'exploitation",
                    ["Transdev", "Keolis Lyon", "Département de la Drôme"],
                    [
                        "Organisation des circuits de transport de voyageurs",
                        "Suivi des contrats avec les transporteurs",
                        "Traitement des réclamations",
                    ],
                ),
                (
                    "Chargée d'études mobilité",
                    ["SNCF Voyageurs", "Cerema", "SYTRAL Mobilités"],
                    [
                        "Planification des mobilités et schémas de desserte",
                        "Analyse de données de fréquentation",
                        "Concertation avec les partenaires",
                    ],
                ),
            ],
            "en": [
                (
                    "Transport planner",
                    ["Arup", "Network Rail"],
                    [
                        "Mobility planning for regional rail",
                        "Data analysis of ridership",
                        "Stakeholder engagement",
                    ],
                ),
            ],
        },
        "skills": [
            "transport de voyageurs",
            "planification des mobilités",
            "analyse de données",
            "gestion des contrats",
            "systèmes d'information géographique",
        ],
        "skills_en": [
            "passenger transport",
            "mobility planning",
            "data analysis",
            "geographic information systems",
        ],
        "education": {
            "fr": [
                "Master transports et mobilités, Université Lyon 2",
                "BTS gestion des transports et logistique",
            ],
            "en": ["MSc Transport Planning, University of Leeds"],
        },
    },
    "environment": {
        "offers": ["2026-DENV-005"],
        "count": 3,
        "titles": {
            "fr": ["Chargée de mission biodiversité", "Écologue"],
            "en": ["Biodiversity officer"],
        },
        "jobs": {
            "fr": [
                (
                    "Chargée de mission biodiversité",
                    [
                        "Conservatoire d'espaces naturels",
                        "Parc naturel régional du Vercors",
                        "Office français de la biodiversité",
                    ],
                    [
                        "Animation de réseaux d'acteurs de la biodiversité",
                        "Instruction de demandes de subventions",
                        "Suivi de projets financés par les fonds européens",
                    ],
                ),
            ],
            "en": [
                (
                    "Biodiversity officer",
                    ["Natural England", "WWF"],
                    [
                        "Biodiversity strategy and monitoring",
                        "Grants management for nature projects",
                        "EU funds (LIFE programme)",
                    ],
                ),
            ],
        },
        "skills": [
            "biodiversité",
            "gestion des subventions",
            "fonds européens",
            "systèmes d'information géographique",
            "transition écologique",
        ],
        "skills_en": [
            "biodiversity",
            "grants management",
            "EU funds",
            "geographic information systems",
        ],
        "education": {
            "fr": ["Master écologie et biodiversité, Université Clermont Auvergne"],
            "en": ["MSc Conservation Biology, University of Edinburgh"],
        },
    },
    "communication": {
        "offers": ["2026-DCOM-004"],
        "count": 3,
        "titles": {
            "fr": ["Chargée de communication digitale", "Community manager"],
            "en": ["Digital communications officer"],
        },
        "jobs": {
            "fr": [
                (
                    "Chargée de communication",
                    ["Ville de Lyon", "Agence Hopscotch", "Université Grenoble Alpes"],
                    [
                        "Animation des réseaux sociaux et communication digitale",
                        "Relations presse et rédaction de communiqués",
                        "Conception graphique de supports",
                    ],
                ),
            ],
            "en": [
                (
                    "Digital communications officer",
                    ["BBC", "City of Edinburgh Council"],
                    [
                        "Digital communication and social media",
                        "Press relations",
                        "Graphic design of campaigns",
                    ],
                ),
            ],
        },
        "skills": [
            "communication digitale",
            "communication",
            "relations presse",
            "conception graphique",
            "anglais",
        ],
        "skills_en": [
            "digital communication",
            "communications",
            "press relations",
            "graphic design",
        ],
        "education": {
            "fr": ["Master communication des organisations, CELSA"],
            "en": ["MA Digital Media, Goldsmiths, University of London"],
        },
    },
}

LANG_LINES = {
    "fr": [
        ["Français (langue maternelle)", "Anglais (B2)"],
        ["Français (langue maternelle)", "Anglais (C1)", "Espagnol (B1)"],
        ["Français (langue maternelle)", "Allemand (B1)"],
    ],
    "en": [
        ["English (native)", "French (B2)"],
        ["English (fluent)", "French (C1)", "Spanish (B1)"],
    ],
}
HEAD = {
    "fr": {
        "profile": "Profil",
        "experience": "Expérience professionnelle",
        "education": "Formation",
        "skills": "Compétences",
        "languages": "Langues",
        "since": "depuis",
    },
    "en": {
        "profile": "Profile",
        "experience": "Work experience",
        "education": "Education",
        "skills": "Skills",
        "languages": "Languages",
        "since": "since",
    },
}
MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


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
