from matching.normalize import STOP_WORDS, analyze, fold, neutralize_gender, tokenize


def test_fold_removes_accents_ligatures_and_case():
    assert fold("Élève Œuvre ÇA") == "eleve oeuvre ca"


def test_elision_is_removed():
    assert tokenize("L'équipe qu'il dirige d'abord") == ["equipe", "il", "dirige", "abord"]


def test_stop_words_french_and_english_but_not_content_words():
    assert analyze("le chef de la cuisine", stemming=None) == ["chef", "cuisine"]
    assert analyze("the head of research and computer systems", stemming=None) == [
        "head",
        "research",
        "computer",
        "systems",
    ]
    assert "personne" not in STOP_WORDS


def test_content_words_of_the_stop_lists_are_kept():
    """The lists include nouns: French ones ("voie", "État") and English ones that are also
    French words ("four": an oven)."""
    assert analyze("Conducteur de four en métallurgie", stemming=None) == [
        "conducteur",
        "four",
        "metallurgie",
    ]
    assert analyze("Agent d'entretien de la voie ferrée", stemming=None) == [
        "agent",
        "entretien",
        "voie",
        "ferre",
    ]
    assert analyze("Attaché d'administration de l'État", stemming=None)[-1] == "etat"
    assert analyze("Ingénieur des mines, vente au détail", stemming=None) == [
        "ingenieur",
        "mines",
        "vente",
        "detail",
    ]
    assert analyze("fire safety and system administration", stemming=None) == [
        "fire",
        "safety",
        "system",
        "administration",
    ]


def test_gendered_title_forms_collapse():
    assert neutralize_gender(fold("Accrocheur / Accrocheuse")) == "accrocheur"
    assert neutralize_gender(fold("Accueillant familial / Accueillante familiale")) == (
        "accueillant familial"
    )
    assert analyze("Directeur(trice) des finances (H/F)") == analyze("Directeur des finances")
    assert analyze("agent·e d'accueil") == analyze("agent d'accueil")
    assert analyze("Accueillante") == analyze("Accueillant")
    assert analyze("directrice") == analyze("directeur")


def test_feminine_ee_and_ffe_forms_meet_the_masculine():
    """Snowball stems "chargée" and "chargé" apart ("charge", "charg"): fold them first."""
    assert analyze("Chargée de mission") == analyze("Chargé de mission")
    assert analyze("attachées territoriales") == analyze("attachés territoriaux")
    assert analyze("Cheffe de projet") == analyze("Chef de projet")
    assert analyze("employée") == analyze("employé")


def test_unrelated_slash_is_kept():
    assert analyze("Python / Java", stemming=None) == ["python", "java"]


def test_stemming_folds_plurals():
    assert analyze("projets") == analyze("projet")
    assert analyze("projets", stemming=None) == ["projets"]
