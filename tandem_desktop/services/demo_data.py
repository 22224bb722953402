"""Fixed texts and proportions of the demo data set (French, as a counsellor would write them)."""

from __future__ import annotations

# name, type, commune, postal code, e-mail domain, counsellors
STRUCTURES = (
    ("Mission locale de Marseille", "mission_locale", "Marseille", "13001", "mission-locale-marseille", 8),
    ("Mission locale du Pays d'Aix", "mission_locale", "Aix-en-Provence", "13100", "mission-locale-aix", 3),
    ("Mission locale du Pays salonais", "mission_locale", "Salon-de-Provence", "13300", "ml-salon", 2),
    ("Mission locale du Pays d'Arles", "mission_locale", "Arles", "13200", "ml-arles", 2),
    ("CCI Aix-Marseille-Provence", "cci", "Marseille", "13001", "cci-amp", 3),
    ("Adie Provence-Alpes-Côte d'Azur", "adie", "Marseille", "13003", "adie-paca", 3),
    ("France Travail Marseille Canebière", "france_travail", "Marseille", "13001", "france-travail-canebiere", 3),
    ("France Travail Aubagne", "france_travail", "Aubagne", "13400", "france-travail-aubagne", 2),
)
PROJECTS = (("job_search", 60), ("orientation", 25), ("business_creation", 15))
STRUCTURE_TYPE_BY_PROJECT = {
    "job_search": (("mission_locale", 65), ("france_travail", 35)),
    "orientation": (("mission_locale", 90), ("france_travail", 10)),
    "business_creation": (("adie", 60), ("cci", 30), ("mission_locale", 10)),
}
LANGUAGES = (("arabe", 40), ("anglais", 30), ("espagnol", 7), ("comorien", 8), ("italien", 4),
             ("portugais", 3), ("arménien", 2), ("wolof", 3), ("turc", 2), ("vietnamien", 1))
MOBILITY = {"walk": (2, 5), "bike": (5, 12), "public_transport": (8, 25), "car": (15, 50)}
MAIL_PROVIDERS = (("courriel.example", 40), ("messagerie.example", 30), ("boite-mail.example", 20),
                  ("webmail.example", 10))
MENTEE_NOTES = (
    "Suivi·e dans le cadre du Contrat d'engagement jeune.", "Disponible à partir de la rentrée.",
    "Souhaite un mentor du même quartier.", "A besoin de reprendre confiance avant les entretiens.",
    "Premier contact par le forum emploi de la Canebière.", "Cherche une alternance pour septembre.",
    "Parle peu de son projet ; à approfondir lors du prochain rendez-vous.",
)
MENTOR_NOTES = (
    "Ancien·ne mentoré·e devenu·e mentor.", "Peut accueillir en immersion dans son entreprise.",
    "Préfère les rendez-vous en visio en semaine.", "Intervient aussi dans les ateliers CV de la CCI.",
    "Disponible seulement hors vacances scolaires.",
)
PROJECT_TEXT = {
    "job_search": ("Métier visé\u00a0: {trade} ({code}). Trouver un emploi stable près de {commune}.",
                   "Trouver une alternance ou un premier emploi\u00a0: {trade}.",
                   "Reprendre un emploi dans le secteur «\u00a0{family}\u00a0»."),
    "orientation": ("Découvrir le métier «\u00a0{trade}\u00a0» avant de choisir une formation.",
                    "Hésite entre plusieurs voies\u00a0; veut rencontrer des professionnels ({family})."),
    "business_creation": ("Créer son activité\u00a0: {trade}, avec un micro-crédit.",
                          "Reprendre un petit commerce à {commune}.",
                          "Lancer une micro-entreprise ({family})."),
}
OBJECTIVES = {
    "job_search": "Préparer les candidatures et les entretiens, élargir le réseau, trouver un emploi.",
    "orientation": "Découvrir le métier visé, rencontrer des professionnels, choisir une formation.",
    "business_creation": "Valider le projet, bâtir le prévisionnel, lancer l'activité.",
}
MEETING_SUMMARIES = {
    "job_search": ("Travail sur le CV et la lettre de motivation.", "Simulation d'entretien d'embauche.",
                   "Point sur les candidatures envoyées et les relances.",
                   "Visite de l'entreprise du mentor et rencontre de l'équipe.",
                   "Préparation d'un entretien prévu la semaine prochaine."),
    "orientation": ("Échange sur le parcours du mentor et les métiers du secteur.",
                    "Demi-journée d'immersion dans l'entreprise du mentor.",
                    "Comparaison des formations possibles et des débouchés.",
                    "Préparation des dossiers d'inscription."),
    "business_creation": ("Relecture du business plan.", "Travail sur le prévisionnel financier.",
                          "Préparation du rendez-vous avec la banque.",
                          "Réflexion sur les prix et la prospection des premiers clients."),
}
NEXT_STEPS = ("Envoyer trois candidatures avant la prochaine rencontre.", "Mettre à jour le CV.",
              "Prendre contact avec la personne recommandée par le mentor.", "Préparer les questions pour la visite.",
              "Finaliser le document et l'envoyer au mentor.")
OUTCOMES = {
    "job_search": (("job", 55), ("training", 15), ("stopped_early", 18), ("other", 12)),
    "orientation": (("training", 50), ("job", 20), ("stopped_early", 18), ("other", 12)),
    "business_creation": (("business_created", 55), ("job", 15), ("stopped_early", 20), ("other", 10)),
}
LIVE_STATUSES = (("proposed", 25), ("accepted", 20), ("charter_signed", 15), ("active", 40))
