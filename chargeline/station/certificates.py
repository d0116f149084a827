"""Certificates on the station: trust anchors, the station's key pair, CSR and signed chain.

Real cryptography (`cryptography` package): an EC P-256 key generated on the station (the
private key never leaves it, A02.FR.05), a PKCS#10 CSR with CN = serial number and O = the
CPO name, a CertificateSigned chain checked before use (key match, validity, every link's
signature), and certificateHashData computed as OCSP CertIDs are (M04).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from chargeline.station.store import StationState

ROOT_TYPES_V16 = ("CentralSystemRootCertificate", "ManufacturerRootCertificate")
ROOT_TYPES_V2 = ("CSMSRootCertificate", "ManufacturerRootCertificate", "V2GRootCertificate", "MORootCertificate",
                 "OEMRootCertificate")
_HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}


def load_chain(pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem.encode())


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when `issuer`'s key made `cert`'s signature."""
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            assert cert.signature_hash_algorithm is not None
            pad: Any = padding.PKCS1v15() if cert.signature_algorithm_parameters is None else \
                cert.signature_algorithm_parameters
            key.verify(cert.signature, cert.tbs_certificate_bytes, pad, cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            assert cert.signature_hash_algorithm is not None
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def hash_data(cert: x509.Certificate, issuer: x509.Certificate | None, algorithm: str = "SHA256") -> dict[str, str]:
    """certificateHashData: hashes of the issuer's DER name and public-key bits, serial in hex."""
    digest = _HASHES[algorithm]
    issuer_key = (issuer or cert).public_key().public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    key_bits = _spki_bits(issuer_key)
    return {"hashAlgorithm": algorithm, "issuerNameHash": digest(cert.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": digest(key_bits).hexdigest(), "serialNumber": format(cert.serial_number, "x")}


def _spki_bits(spki_der: bytes) -> bytes:
    """The BIT STRING contents of a SubjectPublicKeyInfo (what OCSP hashes), without a DER library."""
    def read_len(data: bytes, i: int) -> tuple[int, int]:
        first = data[i]
        if first < 0x80:
            return first, i + 1
        n = first & 0x7F
        return int.from_bytes(data[i + 1:i + 1 + n], "big"), i + 1 + n

    _, i = read_len(spki_der, 1)  # outer SEQUENCE
    alg_len, j = read_len(spki_der, i + 1)  # AlgorithmIdentifier SEQUENCE
    k = j + alg_len
    bits_len, start = read_len(spki_der, k + 1)  # BIT STRING
    return spki_der[start + 1:start + bits_len]  # skip the unused-bits byte


@dataclass(slots=True)
class Installed:
    type: str
    pem: str


class CertificateStore:
    def __init__(self, state: StationState, v2: bool, max_entries: int = 20):
        self.state = state
        self.v2 = v2
        self.max_entries = max_entries
        self.roots: list[Installed] = [Installed(d["type"], d["pem"]) for _, d in state.items("certs")]

    def _save(self) -> None:
        self.state.clear("certs")
        for n, item in enumerate(self.roots):
            self.state.put("certs", f"{n:04d}", {"type": item.type, "pem": item.pem})

    def _issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        for item in self.roots:
            for candidate in load_chain(item.pem):
                if candidate.subject == cert.issuer:
                    return candidate
        return None

    # InstallCertificate --------------------------------------------------------------------
    def install(self, cert_type: str, pem: str, now: datetime) -> str:
        try:
            certs = load_chain(pem)
        except ValueError:
            return "Rejected"
        if not certs:
            return "Rejected"
        cert = certs[0]
        if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
            return "Rejected"
        try:
            if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                return "Rejected"
        except x509.ExtensionNotFound:
            return "Rejected"
        if any(load_chain(i.pem)[0].fingerprint(hashes.SHA256()) == cert.fingerprint(hashes.SHA256())
               for i in self.roots):
            return "Accepted"
        if len(self.roots) >= self.max_entries:
            return "Failed"
        self.roots.append(Installed(cert_type, pem))
        self._save()
        return "Accepted"

    # GetInstalledCertificateIds / DeleteCertificate -------------------------------------------
    def ids(self, types: list[str] | None, algorithm: str = "SHA256") -> list[tuple[str, dict[str, str]]]:
        out = []
        for item in self.roots:
            if types and item.type not in types:
                continue
            cert = load_chain(item.pem)[0]
            out.append((item.type, hash_data(cert, self._issuer_of(cert) or cert, algorithm)))
        return out

    def delete(self, data: dict[str, str]) -> str:
        algorithm = data.get("hashAlgorithm", "SHA256")
        for item in list(self.roots):
            cert = load_chain(item.pem)[0]
            mine = hash_data(cert, self._issuer_of(cert) or cert, algorithm)
            if all(mine[k].lower() == str(data[k]).lower().lstrip("0") or mine[k].lower() == str(data[k]).lower()
                   for k in ("issuerNameHash", "issuerKeyHash", "serialNumber")):
                self.roots.remove(item)
                self._save()
                return "Accepted"
        return "NotFound"

    def trusted_pem(self, types: tuple[str, ...]) -> str:
        return "".join(i.pem for i in self.roots if i.type in types)

    # key pair, CSR, CertificateSigned (A02/A03) ------------------------------------------------
    def new_csr(self, common_name: str, organization: str) -> str:
        key = ec.generate_private_key(ec.SECP256R1())
        pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        self.state.put("identity", "pending_key", pem_key)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64])])
        csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
        return csr.public_bytes(serialization.Encoding.PEM).decode()

    def accept_signed(self, chain_pem: str, now: datetime) -> tuple[bool, str]:
        """Check a CertificateSigned chain against the pending key; install it on success."""
        pending = self.state.get("identity", "pending_key")
        if pending is None:
            return False, "no certificate signing request is pending"
        try:
            chain = load_chain(chain_pem)
        except ValueError:
            return False, "not a PEM certificate chain"
        if not chain:
            return False, "empty chain"
        leaf = chain[0]
        key = serialization.load_pem_private_key(pending.encode(), None)
        mine = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        theirs = leaf.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
        if mine != theirs:
            return False, "certificate does not match the pending key"
        for cert in chain:
            if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
                return False, "certificate outside its validity period"
        for child, parent in itertools.pairwise(chain):
            if not issued_by(child, parent):
                return False, "broken certificate chain"
        top = chain[-1]
        anchor = self._issuer_of(top)
        if anchor is not None and top.issuer != top.subject and not issued_by(top, anchor):
            return False, "chain does not verify against the installed root"
        self.state.put("identity", "key", pending)
        self.state.put("identity", "chain", chain_pem)
        self.state.delete("identity", "pending_key")
        return True, "installed"

    def client_identity(self) -> tuple[str, str] | None:
        """(certificate chain PEM, private key PEM) for TLS client authentication (profile 3)."""
        chain, key = self.state.get("identity", "chain"), self.state.get("identity", "key")
        return (chain, key) if chain and key else None
