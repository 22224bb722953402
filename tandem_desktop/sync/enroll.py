"""Enrollment: an EC P-256 key and CSR made here, a one-time code, and the hub's token and certificate.

The token goes to the system keyring when a safe one exists, else into the encrypted database; the
private key and certificate always stay in the encrypted database (`meta`).
"""

from __future__ import annotations

import contextlib
from typing import Any

import keyring
import keyring.errors
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ..store.demo import DEMO_REFUSED, is_demo
from ..store.errors import KeyringUnreachable, LockedKeyring
from ..store.keys import KEYRING_SERVICE, keyring_call, usable_keyring
from ..store.profile import Profile
from ..store.remote import utc_now
from ..texts.french import NBSP
from .client import HubClient, check_transport, needs_insecure_http, normalize_url
from .errors import HubError, SyncError, TokenLocked, TokenUnreachable

TOKEN = "le jeton de ce poste pour le hub"


def make_key_and_csr(device_name: str) -> tuple[str, str]:
    """(private key PEM, CSR PEM) for a fresh EC P-256 key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, device_name[:64] or "Tandem Desktop"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tandem Desktop"),
    ])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, csr.public_bytes(serialization.Encoding.PEM).decode()


def connection_settings(state: dict[str, str]) -> dict[str, Any]:
    """How to reach the hub, as chosen at enrollment: HubClient's keyword arguments."""
    return {"insecure_http": state.get("insecure_http") == "1", "tls_ca_pem": state.get("tls_ca_pem") or None}


def _keyring_user(profile: Profile) -> str:
    return f"hub-token-{profile.meta.profile_id}"


def save_token(profile: Profile, token: str) -> str:
    """Store the device token; returns where it went ("keyring" or "database"). A keyring that is
    locked or fails now gets nothing: the token goes to the encrypted database instead."""
    if profile.settings.use_keyring and usable_keyring() is not None:
        try:
            keyring_call(lambda: keyring.set_password(KEYRING_SERVICE, _keyring_user(profile), token), TOKEN)
        except (LockedKeyring, KeyringUnreachable):
            pass
        else:
            profile.store.remote.set_state(token=None, token_source="keyring")
            return "keyring"
    profile.store.remote.set_state(token=token, token_source="database")
    return "database"


def load_token(profile: Profile, state: dict[str, str] | None = None) -> str | None:
    """The device token; None when it is really gone (the keyring answered, without it).
    A locked keyring raises TokenLocked, one that does not answer TokenUnreachable: local problems,
    never the hub's, and re-enrolling would not be the cure."""
    state = profile.store.remote.state() if state is None else state
    if state.get("token_source") == "keyring":
        try:
            return keyring_call(lambda: keyring.get_password(KEYRING_SERVICE, _keyring_user(profile)), TOKEN)
        except LockedKeyring as exc:
            raise TokenLocked() from exc
        except KeyringUnreachable as exc:
            raise TokenUnreachable(str(exc.__cause__.__class__.__name__)) from exc
    return state.get("token")


def forget_token(profile: Profile) -> None:
    with contextlib.suppress(Exception):  # best effort, as for the key (store.keys.forget_key)
        keyring.delete_password(KEYRING_SERVICE, _keyring_user(profile))


def certificate_info(pem: str | None) -> dict[str, Any]:
    """Subject, issuer, serial and validity of a PEM certificate, for `tandem device` and the GUI."""
    if not pem:
        return {}
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return {"error": "certificat illisible"}
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "x"), "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat()}


def _check_certificate(cert_pem: str, key_pem: str) -> None:
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError as exc:
        raise HubError("certificat reçu illisible") from exc
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        raise HubError("le certificat reçu ne correspond pas à la clé de cet appareil")


def _issued_by(cert_pem: str, ca_pem: str) -> bool:
    """True if the hub's authority `ca_pem` signed `cert_pem`: only the hub holding its CA key can."""
    try:
        x509.load_pem_x509_certificate(cert_pem.encode()).verify_directly_issued_by(
            x509.load_pem_x509_certificate(ca_pem.encode()))
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def enroll_device(profile: Profile, hub_url: str, code: str, device_name: str | None = None,
                  client: HubClient | None = None, *, insecure_http: bool = False,
                  tls_ca_pem: str | None = None) -> dict[str, Any]:
    """Enroll this profile with the hub; nothing is stored unless the hub accepted the code.

    A plain http:// address of another machine is refused (InsecureHub) unless `insecure_http`;
    `tls_ca_pem` is the hub's own TLS authority, if it has one. Both are kept with the enrollment,
    so every later sync connects the same way. An enrolled device moves to a new address (say from
    http:// to https://) only if the hub there proves to be the same: its hub id, and a certificate
    signed by the hub authority this device already holds."""
    if is_demo(profile.store):
        raise SyncError(DEMO_REFUSED)
    url = normalize_url(hub_url)
    check_transport(url, insecure_http)
    remote = profile.store.remote
    state = remote.state()
    moving = bool(state.get("device_id") and state.get("hub_url") != url and not state.get("revoked"))
    already = SyncError(f"Cet appareil est déjà relié au hub {state.get('hub_url')}{NBSP}; "
                        "utilisez un autre profil pour un autre hub.")
    if moving and not (state.get("hub_id") and state.get("ca_pem")):
        raise already
    code = "".join(code.split())
    if not code:
        raise SyncError(f"Code d’enrôlement manquant{NBSP}: demandez-le à l’administrateur du hub.")
    name = " ".join((device_name or "").split())[:100]  # empty: the hub names it « counsellor – structure »
    key_pem, csr_pem = make_key_and_csr(name)
    own = client is None
    client = client or HubClient(url, insecure_http=insecure_http, tls_ca_pem=tls_ca_pem)
    try:
        try:
            hello = client.negotiate()
        except SyncError:
            if moving:  # a new address that cannot even say which hub it is
                raise already from None
            raise
        if moving and hello.get("hub_id") != state.get("hub_id"):
            raise already
        answer = client.enroll(code, name, csr_pem, stamp_device=profile.device_id)
    finally:
        if own:
            client.close()
    missing = [k for k in ("device_id", "token", "structure_id", "certificate_pem") if not answer.get(k)]
    if missing:
        raise HubError(f"réponse d’enrôlement incomplète ({', '.join(missing)})")
    _check_certificate(answer["certificate_pem"], key_pem)
    name = " ".join(str(answer.get("device_name") or name).split())[:100]
    if moving and not _issued_by(answer["certificate_pem"], state["ca_pem"]):
        raise already  # it says it is the same hub, but cannot sign as its authority: nothing stored
    storage = save_token(profile, str(answer["token"]))
    same_hub = state.get("hub_id") == hello.get("hub_id") and state.get("structure_id") == answer["structure_id"]
    remote.set_state(
        hub_url=url, device_id=answer["device_id"], structure_id=answer["structure_id"],
        counsellor_id=answer.get("counsellor_id"), is_admin=bool(answer.get("is_admin")),
        certificate_pem=answer["certificate_pem"], ca_pem=answer.get("ca_pem"), private_key_pem=key_pem,
        device_name=name, enrolled_at=utc_now(), hub_id=hello.get("hub_id"), hub_schema=hello.get("schema"),
        revoked=None, last_error=None, cursor=state.get("cursor") if same_hub else 0,
        device_number=answer.get("device_number") if isinstance(answer.get("device_number"), int) else None,
        insecure_http=True if needs_insecure_http(url) and insecure_http else None, tls_ca_pem=tls_ca_pem or None,
    )
    return {"device_id": answer["device_id"], "hub_url": url, "structure_id": answer["structure_id"],
            "counsellor_id": answer.get("counsellor_id"), "is_admin": bool(answer.get("is_admin")),
            "device_name": name, "token_storage": storage, "certificate": certificate_info(answer["certificate_pem"]),
            # enrolling again makes a new device at the hub: the old one stays active until revoked there
            "previous_device_id": None if state.get("revoked") or state.get("device_id") == answer["device_id"]
            else state.get("device_id"),
            "insecure_http": needs_insecure_http(url)}
