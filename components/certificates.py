"""Checks of the PEM a stack configures for IAM Roles Anywhere, before anything is created: the CA certificate a
trust anchor holds and the CRL that revokes its certificates.

What IAM Roles Anywhere requires of a trust anchor's CA (User Guide, "Trust model", signature validation): an
X.509 v3 certificate, basic constraints CA:TRUE, key usage with Certificate Sign, a SHA-256 or stronger signature
(MD5 and SHA-1 are refused). Revocation works only through CRLs imported for the anchor (ImportCrl, PEM); the
service does not call CRL distribution points or OCSP, so an anchor without an imported CRL cannot revoke.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

WEAK_HASHES = (hashes.MD5, hashes.SHA1)
MAX_CERTIFICATE_CHARACTERS = 8000
"""TrustAnchor source x509CertificateData: at most 8,000 characters (IAM Roles Anywhere API Reference)."""


def ca_certificate_problem(pem: str, today: dt.date) -> str | None:
    """Why ``pem`` cannot anchor instrument certificates, or None."""
    if len(pem) > MAX_CERTIFICATE_CHARACTERS:
        return f"{len(pem)} characters; a trust anchor holds at most {MAX_CERTIFICATE_CHARACTERS}"
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as error:
        return f"not a PEM X.509 certificate ({error})"
    if certificate.version != x509.Version.v3:
        return "not an X.509 v3 certificate"
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        return "not a CA certificate (basic constraints CA:TRUE is required)"
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not usage.key_cert_sign:
        return "its key usage lacks Certificate Sign"
    algorithm = certificate.signature_hash_algorithm
    if algorithm is None or isinstance(algorithm, WEAK_HASHES):
        return f"signed with {getattr(algorithm, 'name', 'no hash')}; SHA-256 or stronger is required"
    if certificate.not_valid_after_utc.date() < today:
        return f"expired on {certificate.not_valid_after_utc.date()}"
    return None


def crl_problem(pem: str, ca_pem: str, today: dt.date) -> str | None:
    """Why ``pem`` cannot revoke certificates of the CA ``ca_pem``, or None: it must be a PEM CRL that CA issued
    and signed, not past its next update."""
    try:
        crl = x509.load_pem_x509_crl(pem.encode())
    except ValueError as error:
        return f"not a PEM certificate revocation list ({error})"
    try:
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
    except ValueError:
        return None  # the certificate's own problem is reported
    if crl.issuer != ca.subject:
        return f"issued by {crl.issuer.rfc4514_string()}, not by the trust anchor's CA {ca.subject.rfc4514_string()}"
    try:
        if not crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
            return "its signature does not verify with the CA's key"
    except (InvalidSignature, TypeError, ValueError):
        return "its signature does not verify with the CA's key"
    if crl.next_update_utc is not None and crl.next_update_utc.date() < today:
        return f"stale: its next update was due on {crl.next_update_utc.date()}; publish a current CRL"
    return None


def revoked_serials(pem: str) -> list[int]:
    """The serial numbers a CRL revokes (for the matrix and the audit)."""
    return sorted(entry.serial_number for entry in x509.load_pem_x509_crl(pem.encode()))
