"""The kinds of records a counsellor keeps, with their fields and French labels."""

from __future__ import annotations

from .fields import FieldSpec, FieldType, KindSpec
from .validation import shown

T = FieldType

STRUCTURE_TYPES = (
    ("mission_locale", "Mission locale"),
    ("cci", "CCI"),
    ("adie", "Adie"),
    ("france_travail", "France Travail"),
    ("entreprise", "Entreprise"),
    ("association", "Association"),
    ("autre", "Autre"),
)
PROJECT_TYPES = (
    ("job_search", "Recherche d’emploi"),
    ("business_creation", "Création d’entreprise"),
    ("orientation", "Orientation"),
)
MENTEE_STATUSES = (("waiting", "En attente"), ("in_tandem", "En tandem"), ("exited", "Sorti·e"))
MENTOR_STATUSES = (("active", "Actif·ve"), ("inactive", "Inactif·ve"))
TANDEM_STATUSES = (
    ("proposed", "Proposé"),
    ("accepted", "Accepté"),
    ("charter_signed", "Charte signée"),
    ("active", "Actif"),
    ("ended", "Terminé"),
)
OUTCOMES = (
    ("job", "Emploi"),
    ("training", "Formation"),
    ("business_created", "Entreprise créée"),
    ("stopped_early", "Arrêt anticipé"),
    ("other", "Autre"),
)
MEETING_MODES = (("in_person", "En présentiel"), ("phone", "Téléphone"), ("video", "Visio"))
MOBILITY_MODES = (
    ("walk", "À pied"),
    ("public_transport", "Transports en commun"),
    ("bike", "Vélo ou deux-roues"),
    ("car", "Voiture"),
)
CONSENT_SCOPES = (
    ("processing", "Traitement des données pour le mentorat"),
    ("hub_sharing", "Partage avec le hub Tandem"),
    ("mentor_contact", "Coordonnées transmises au binôme"),
    ("photos", "Photos et témoignages"),
)


def _person() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("first_name", "Prénom", required=True, max_length=80, searchable=True),
        FieldSpec("last_name", "Nom", required=True, max_length=80, searchable=True),
        FieldSpec("email", "E-mail", T.EMAIL, searchable=True),
        FieldSpec("phone", "Téléphone", T.PHONE),
    )


def _place() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("commune", "Commune", max_length=80, searchable=True),
        FieldSpec("postal_code", "Code postal", T.POSTAL_CODE, searchable=True),
    )


def _profile() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("sector", "Secteur", max_length=120, searchable=True),
        FieldSpec("trade_code", "Métier (code ROME)", max_length=10),
        FieldSpec("trade", "Métier", max_length=120, searchable=True),
        FieldSpec("skills", "Compétences", T.LIST, searchable=True, max_length=120),
        FieldSpec("languages", "Langues", T.LIST, default=("français",), max_length=40, max_items=20),
        FieldSpec("availability", "Disponibilités", T.LIST, max_length=80, max_items=30),
    )


def _consent() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("consent_given", "Consentement recueilli", T.BOOL, default=False),
        FieldSpec("consent_date", "Date du consentement", T.DATE),
        FieldSpec("consent_scope", "Portée du consentement", T.LIST, choices=CONSENT_SCOPES),
        # Who took it and what they read (resources/consent/<version>.txt), when to ask again, and
        # when it was withdrawn: domain/records.py fills them, domain/consent.py reads them.
        FieldSpec("consent_by", "Recueilli par", T.REF, ref="counsellor"),
        FieldSpec("consent_text_version", "Version du texte présenté", max_length=20),
        FieldSpec("consent_renewal", "À renouveler le", T.DATE),
        FieldSpec("consent_withdrawn_on", "Consentement retiré le", T.DATE),
    )


STRUCTURE = KindSpec(
    name="structure",
    label="Structure",
    plural="Structures",
    fields=(
        FieldSpec("name", "Nom", required=True, max_length=120, searchable=True),
        FieldSpec("type", "Type", T.CHOICE, required=True, choices=STRUCTURE_TYPES, default="autre"),
        *_place(),
        FieldSpec("email", "E-mail", T.EMAIL),
        FieldSpec("phone", "Téléphone", T.PHONE),
        FieldSpec("notes", "Notes", T.LONG_TEXT),
    ),
    title_fields=("name",),
    list_columns=("name", "type", "commune"),
    structure_field=None,
)

COUNSELLOR = KindSpec(
    name="counsellor",
    label="Conseiller·ère",
    plural="Conseillers",
    fields=(
        *_person(),
        FieldSpec("structure_id", "Structure", T.REF, required=True, ref="structure"),
    ),
    title_fields=("first_name", "last_name"),
    list_columns=("last_name", "first_name", "email", "structure_id"),
    commune_field=None,
)

MENTOR = KindSpec(
    name="mentor",
    label="Mentor",
    plural="Mentors",
    fields=(
        *_person(),
        FieldSpec("employer", "Employeur", max_length=120, searchable=True),
        FieldSpec("job_title", "Poste occupé", max_length=120, searchable=True),
        *_profile(),
        *_place(),
        FieldSpec("mobility_km", "Déplacement accepté (km)", T.INT, minimum=0, maximum=300, default=15),
        FieldSpec("capacity", "Capacité (mentorés en même temps)", T.INT, required=True, minimum=0,
                  maximum=20, default=1),
        FieldSpec("active", "Actif·ve", T.BOOL, default=True),
        FieldSpec("project_types", "Projets accompagnés", T.LIST, choices=PROJECT_TYPES),
        FieldSpec("meeting_modes", "Rencontres possibles", T.LIST, choices=MEETING_MODES),
        FieldSpec("structure_id", "Structure de rattachement", T.REF, ref="structure"),
        *_consent(),
        FieldSpec("honorability_on", "Honorabilité attestée le", T.DATE),  # domain/retention.py
        FieldSpec("notes", "Notes", T.LONG_TEXT, searchable=True),
    ),
    title_fields=("first_name", "last_name"),
    list_columns=("last_name", "first_name", "employer", "trade", "commune", "capacity", "active"),
    status_field="active",
)

MENTEE = KindSpec(
    name="mentee",
    label="Mentoré·e",
    plural="Mentorés",
    fields=(
        *_person(),
        FieldSpec("birth_date", "Date de naissance", T.DATE),
        FieldSpec("project_type", "Type de projet", T.CHOICE, required=True, choices=PROJECT_TYPES,
                  default="job_search"),
        FieldSpec("project", "Projet", T.LONG_TEXT, searchable=True),
        *_profile(),
        *_place(),
        FieldSpec("mobility_mode", "Mobilité", T.CHOICE, choices=MOBILITY_MODES),
        FieldSpec("mobility_km", "Déplacement possible (km)", T.INT, minimum=0, maximum=300, default=10),
        # Matching: what the mentee expects from a mentor, and what rules a mentor out.
        FieldSpec("needs", "Besoins d’accompagnement", T.LIST, searchable=True, max_length=120),
        FieldSpec("meeting_modes", "Rencontres souhaitées", T.LIST, choices=MEETING_MODES),
        FieldSpec("required_language", "Langue indispensable", max_length=40),
        FieldSpec("employer", "Employeur actuel ou récent", max_length=120),
        FieldSpec("excluded_employers", "Employeurs exclus (conflit d’intérêts)", T.LIST, max_length=120),
        FieldSpec("excluded_mentors", "Mentors exclus (lien personnel)", T.LIST, max_length=120,
                  max_items=100),
        FieldSpec("declined_mentors", "Mentors écartés", T.LIST, max_length=64, max_items=200),
        FieldSpec("structure_id", "Structure prescriptrice", T.REF, ref="structure"),
        FieldSpec("counsellor_id", "Conseiller·ère référent·e", T.REF, ref="counsellor"),
        FieldSpec("status", "Statut", T.CHOICE, required=True, choices=MENTEE_STATUSES, default="waiting"),
        FieldSpec("waiting_since", "En attente depuis", T.DATE, default="today"),
        *_consent(),
        FieldSpec("notes", "Notes", T.LONG_TEXT, searchable=True),
    ),
    title_fields=("first_name", "last_name"),
    list_columns=("last_name", "first_name", "project_type", "trade", "commune", "status"),
    status_field="status",
)

TANDEM = KindSpec(
    name="tandem",
    label="Tandem",
    plural="Tandems",
    fields=(
        FieldSpec("mentor_id", "Mentor", T.REF, required=True, ref="mentor"),
        FieldSpec("mentee_id", "Mentoré·e", T.REF, required=True, ref="mentee"),
        FieldSpec("counsellor_id", "Conseiller·ère référent·e", T.REF, ref="counsellor"),
        FieldSpec("structure_id", "Structure", T.REF, ref="structure"),
        FieldSpec("status", "Étape", T.CHOICE, required=True, choices=TANDEM_STATUSES, default="proposed"),
        FieldSpec("objectives", "Objectifs", T.LONG_TEXT),
        FieldSpec("duration_months", "Durée prévue (mois)", T.INT, minimum=1, maximum=36, default=6),
        FieldSpec("proposed_on", "Proposé le", T.DATE, default="today"),
        FieldSpec("accepted_on", "Accepté le", T.DATE),
        FieldSpec("charter_signed_on", "Charte signée le", T.DATE),
        FieldSpec("started_on", "Démarré le", T.DATE),
        FieldSpec("ended_on", "Terminé le", T.DATE),
        FieldSpec("outcome", "Issue", T.CHOICE, choices=OUTCOMES),
        FieldSpec("notes", "Notes", T.LONG_TEXT),
    ),
    title_fields=("mentee_id", "mentor_id"),
    list_columns=("mentee_id", "mentor_id", "status", "proposed_on", "outcome"),
    status_field="status",
    last_statuses=("ended",),
    commune_field=None,
)

MEETING = KindSpec(
    name="meeting",
    label="Rencontre",
    plural="Rencontres",
    fields=(
        FieldSpec("tandem_id", "Tandem", T.REF, required=True, ref="tandem"),
        FieldSpec("date", "Date", T.DATE, required=True, default="today"),
        FieldSpec("mode", "Modalité", T.CHOICE, choices=MEETING_MODES, default="in_person"),
        FieldSpec("duration_min", "Durée (minutes)", T.INT, minimum=0, maximum=600),
        FieldSpec("summary", "Compte rendu", T.LONG_TEXT),
        FieldSpec("next_steps", "Prochaines étapes", T.LONG_TEXT),
    ),
    title_fields=("date",),
    list_columns=("date", "mode", "summary"),
    structure_field=None,
    commune_field=None,
)

KINDS: dict[str, KindSpec] = {k.name: k for k in (STRUCTURE, COUNSELLOR, MENTOR, MENTEE, TANDEM, MEETING)}


def kind_spec(name: str) -> KindSpec:
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(KINDS)
        raise ValueError(f"Type de fiche inconnu\u00a0: « {shown(name)} ». Possibles\u00a0: {known}.") from None
