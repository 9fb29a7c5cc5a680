"""Certificates for the TLS and wss tests, made with Debian's openssl command: a CA, server certificates
for localhost and 127.0.0.1, and client certificates whose subject CN names an MQTT user. Each is a
pair of PEM files in the directory given; nothing is cached between tests."""

from __future__ import annotations

import dataclasses
import pathlib
import subprocess

TIMEOUT_S = 30


@dataclasses.dataclass(frozen=True)
class CertPair:
    cert: pathlib.Path
    key: pathlib.Path


def _openssl(*args: str, cwd: pathlib.Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=TIMEOUT_S)


def make_ca(directory: pathlib.Path, name: str = "ringmq-test-ca") -> CertPair:
    directory.mkdir(parents=True, exist_ok=True)
    pair = CertPair(directory / f"{name}.crt", directory / f"{name}.key")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "2", "-subj", f"/CN={name}", "-keyout", str(pair.key), "-out", str(pair.cert),
             cwd=directory)
    return pair


def make_signed(directory: pathlib.Path, ca: CertPair, name: str, common_name: str,
                server: bool) -> CertPair:
    """A certificate signed by ca: for a server (SAN localhost, 127.0.0.1, ::1) or a client."""
    pair = CertPair(directory / f"{name}.crt", directory / f"{name}.key")
    csr = directory / f"{name}.csr"
    extensions = directory / f"{name}.ext"
    if server:
        extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
                              "extendedKeyUsage=serverAuth\n")
    else:
        extensions.write_text("extendedKeyUsage=clientAuth\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-subj", f"/CN={common_name}", "-keyout", str(pair.key), "-out", str(csr), cwd=directory)
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey", str(ca.key),
             "-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(pair.cert),
             cwd=directory)
    return pair


@dataclasses.dataclass(frozen=True)
class Pki:
    ca: CertPair
    server: CertPair
    directory: pathlib.Path

    def client(self, user: str) -> CertPair:
        return make_signed(self.directory, self.ca, f"client-{user}", user, server=False)

    def server_named(self, name: str) -> CertPair:
        return make_signed(self.directory, self.ca, name, name, server=True)

    def other_ca(self) -> CertPair:
        """A CA that signed nothing here: a client trusting only it must refuse the server."""
        return make_ca(self.directory, "other-ca")


def make_pki(directory: pathlib.Path) -> Pki:
    ca = make_ca(directory)
    return Pki(ca, make_signed(directory, ca, "server", "ringmq-test-server", server=True), directory)
