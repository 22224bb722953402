"""French wording read back from the one helper of each rule: long dates (« 1er »), the hub CA's
name in French, units in sentences, and the per-audience texts about a lost key or database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tandem_desktop.charter.names import certificate_names, issuer_name
from tandem_desktop.domain.kinds import KINDS
from tandem_desktop.store.errors import CorruptDatabase, KeyUnavailable, NoRecoveryCode
from tandem_desktop.texts import keys
from tandem_desktop.texts.french import NBSP, long_date, long_datetime
from tandem_desktop.texts.records import unit, value_with_unit


def test_the_first_of_the_month_is_1er_in_dates_and_date_times() -> None:
    assert long_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert long_date(date(2026, 12, 2)) == "2 décembre 2026"
    noon = datetime(2026, 12, 1, 12, 5, tzinfo=UTC).astimezone()  # the 1st wherever the machine is
    assert long_datetime(noon).startswith("1er décembre 2026 à ")
    assert long_datetime(noon).endswith(f"{noon.hour}{NBSP}h{NBSP}05")


def _cert(issuer_cn: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tandem - le hub du mentorat")])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nadia Ferhat")])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))


def test_the_hub_ca_reads_in_french_and_the_certificate_is_unchanged() -> None:
    cert = _cert("Tandem hub CA 47460405")
    assert certificate_names(cert).issuer == "Autorité du hub Tandem 47460405"
    assert cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Tandem hub CA 47460405"
    assert certificate_names(_cert("Autre autorité")).issuer == "Autre autorité"
    assert issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tandem hub CA ")])) == \
        "Autorité du hub Tandem"


def test_a_sentence_gives_the_unit_the_short_label_drops() -> None:
    mobility = KINDS["mentor"].by_name["mobility_km"]
    assert unit(mobility) == "km" and value_with_unit(mobility, 15) == f"15{NBSP}km"
    capacity = KINDS["mentor"].by_name["capacity"]
    assert unit(capacity) == "" and value_with_unit(capacity, 2) == "2", "an explanation is not a unit"


def test_each_audience_has_its_own_way_out_and_the_facts_are_said_once() -> None:
    cli, gui = keys.key_missing(keys.CLI), keys.key_missing(keys.GUI)
    assert cli == str(KeyUnavailable()) and "tandem recover" in cli and "README" in cli
    assert "tandem" not in gui and "README" not in gui and f"«{NBSP}Code de secours…{NBSP}»" in gui
    assert cli.startswith(keys.KEY_MISSING) and gui.startswith(keys.KEY_MISSING)
    assert "tandem reset" in str(NoRecoveryCode()) and "tandem" not in keys.no_recovery_code(keys.GUI)
    assert "tandem restore FICHIER" in str(CorruptDatabase("base.db"))
    assert "tandem" not in keys.restore_any(keys.GUI) and "Choisir une sauvegarde…" in keys.restore_any(keys.GUI)
