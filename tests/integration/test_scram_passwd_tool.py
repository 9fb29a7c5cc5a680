"""ringmq-scram-passwd (tools/scram_passwd) end to end: mosquitto_passwd's
command line (-c, -b, -D, -I, password prompted or read as two stdin lines),
files of mode 0600 replaced atomically, verifiers that Python's own PBKDF2 and
HMAC reproduce, and users that the broker then lets in (or, once deleted or
changed, does not).

The binary is $RINGMQ_SCRAM_PASSWD_BIN, default beside $RINGMQ_BIN's build
tree (<repo>/build/tools/ringmq-scram-passwd)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import stat

import pytest

from raw_client import RawClient
from scram_client import ScramClient, begin, finish, passwd_binary, scram_passwd

pytestmark = pytest.mark.ringmq_only


@pytest.fixture(autouse=True)
def _tool_exists():
    if not passwd_binary().exists():
        pytest.fail(f"ringmq-scram-passwd not found at {passwd_binary()} (build it, or set "
                    "RINGMQ_SCRAM_PASSWD_BIN)", pytrace=False)


def login_reason(broker, client_id: str, user: str, password: str) -> int:
    client = RawClient(broker.host, broker.port)
    try:
        scram = ScramClient(user, password)
        return finish(client, scram, begin(client, client_id, scram))[0]
    finally:
        client.close()


def entries(path) -> dict[str, str]:
    return dict(line.split(":", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))


def test_verifier_is_what_rfc_5802_says(tmp_path):
    path = tmp_path / "users"
    done = scram_passwd("-c", "-I", "4200", "-b", str(path), "alice", "pencil")
    assert done.returncode == 0, done.stderr
    mechanism, rest = entries(path)["alice"].split("$", 1)
    count_salt, keys = rest.split("$")
    count, salt_b64 = count_salt.split(":")
    stored_b64, server_b64 = keys.split(":")
    assert mechanism == "SCRAM-SHA-256" and count == "4200"
    salt = base64.b64decode(salt_b64, validate=True)
    assert len(salt) == 16
    salted = hashlib.pbkdf2_hmac("sha256", b"pencil", salt, 4200)
    assert base64.b64decode(stored_b64) == hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()
    assert base64.b64decode(server_b64) == hmac.new(salted, b"Server Key", "sha256").digest()
    # Another user (or the same password again) gets another random salt.
    assert scram_passwd("-b", str(path), "bob", "pencil").returncode == 0
    assert entries(path)["bob"].split("$")[1].split(":")[1] != salt_b64


def test_file_is_private_and_replaced_atomically(tmp_path):
    path = tmp_path / "users"
    path.write_text("# fleet\n")
    path.chmod(0o644)
    assert scram_passwd("-b", str(path), "alice", "a").returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("# fleet\nalice:SCRAM-SHA-256$4096:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users"], "a temporary file was left behind"


def test_password_from_stdin_lines_and_mismatch(tmp_path):
    path = tmp_path / "users"
    done = scram_passwd("-c", str(path), "alice", stdin="s3cret\ns3cret\n")
    assert done.returncode == 0, done.stderr
    before = path.read_text()
    mismatch = scram_passwd(str(path), "alice", stdin="one\ntwo\n")
    assert mismatch.returncode == 1 and "do not match" in mismatch.stderr
    assert path.read_text() == before


def test_refusals_leave_the_file_alone(tmp_path):
    path = tmp_path / "users"
    assert scram_passwd("-c", "-b", str(path), "alice", "a").returncode == 0
    before = path.read_text()
    for args, status, message in [
        (["-b", str(path), "bob", "p\u00e4ss"], 1, "printable ASCII"),
        (["-b", str(path), "b:ob", "p"], 1, "printable ASCII"),
        (["-D", str(path), "nobody"], 1, "not found"),
        (["-b", str(tmp_path / "missing"), "bob", "p"], 1, "Unable to open"),
        (["-I", "1000", "-b", str(path), "bob", "p"], 2, "-I wants a number from 4096"),
        (["-c", "-D", str(path), "alice"], 2, "Usage"),
    ]:
        done = scram_passwd(*args)
        assert done.returncode == status, (args, done)
        assert message in done.stderr, (args, done.stderr)
    assert path.read_text() == before


def test_tool_refuses_a_broken_file_naming_the_line(tmp_path):
    path = tmp_path / "users"
    path.write_text("# users\nbob:$7$101$c2FsdA==$aGFzaA==\n")
    done = scram_passwd("-b", str(path), "alice", "a")
    assert done.returncode == 1 and "line 2" in done.stderr
    assert path.read_text() == "# users\nbob:$7$101$c2FsdA==$aGFzaA==\n"


def test_broker_follows_the_file(tmp_path, start_broker, uid):
    path = tmp_path / "users"
    assert scram_passwd("-c", "-b", str(path), "alice", "old").returncode == 0
    assert scram_passwd("-b", str(path), "bob", "b").returncode == 0
    broker = start_broker(flags={"scram_file": path})
    assert login_reason(broker, f"{uid}-1", "alice", "old") == 0
    assert login_reason(broker, f"{uid}-2", "bob", "b") == 0
    # Changed and deleted users take effect at the next start (the file is read at start-up).
    assert scram_passwd("-b", str(path), "alice", "new").returncode == 0
    assert scram_passwd("-D", str(path), "bob").returncode == 0
    assert sorted(entries(path)) == ["alice"]
    restarted = start_broker(flags={"scram_file": path})
    assert login_reason(restarted, f"{uid}-3", "alice", "old") == 0x86
    assert login_reason(restarted, f"{uid}-4", "alice", "new") == 0
    assert login_reason(restarted, f"{uid}-5", "bob", "b") == 0x86
