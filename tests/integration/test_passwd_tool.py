"""ringmq-passwd against Debian's mosquitto, and mosquitto_passwd against ringmq's PasswordFile.

Files written by ringmq-passwd (-c, -b, -I, -D, -U, the terminal prompt and piped stdin) are given
to a real mosquitto broker (password_file, allow_anonymous false, a free port on 127.0.0.1): the
right password gets CONNACK 0, a wrong one or an unknown user CONNACK 5. Files written by
mosquitto_passwd are read by ringmq's PasswordFile through build/tests/tools/password_file_check.

The binaries are found beside $RINGMQ_BIN (build/net/ringmq): build/tools/passwd/ringmq-passwd and
build/tests/tools/password_file_check. Tests needing mosquitto or mosquitto_passwd skip without them.
"""

from __future__ import annotations

import os
import pathlib
import pty
import select
import shutil
import subprocess
import tempfile
import time

import pytest

import broker_process
from paho_client import PahoClient

MOSQUITTO = pathlib.Path("/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")
CONNACK_ACCEPTED = 0
CONNACK_NOT_AUTHORIZED = 5
TOOL_TIMEOUT = 30.0

needs_mosquitto = pytest.mark.skipif(not MOSQUITTO.exists(),
                                     reason=f"mosquitto broker not installed at {MOSQUITTO}")
needs_mosquitto_passwd = pytest.mark.skipif(MOSQUITTO_PASSWD is None,
                                            reason="mosquitto_passwd not installed")


def _build_dir() -> pathlib.Path:
    return broker_process.ringmq_binary().resolve().parent.parent


def _binary(relative: str) -> pathlib.Path:
    path = _build_dir() / relative
    if not path.exists():
        pytest.fail(f"{path} not found (build it: ninja -C {_build_dir()} {relative})", pytrace=False)
    return path


@pytest.fixture
def passwd():
    """Runs ringmq-passwd with the given arguments; returns the CompletedProcess."""
    tool = _binary("tools/passwd/ringmq-passwd")

    def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(tool), *args], input=stdin, capture_output=True, text=True,
                                timeout=TOOL_TIMEOUT, stdin=None if stdin is not None else subprocess.DEVNULL)
        if check:
            assert result.returncode == 0, f"ringmq-passwd {args} failed: {result.stderr}"
        return result

    return run


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="ringmq-it-passwd-") as path:
        yield pathlib.Path(path)


def check_with_password_file(path: pathlib.Path, pairs: list[tuple[str, str]]) -> list[str]:
    """PasswordFile's verdict ("accepted"/"refused") for each (user, password) pair."""
    checker = _binary("tests/tools/password_file_check")
    stdin = "".join(f"{user}\t{password}\n" for user, password in pairs)
    result = subprocess.run([str(checker), str(path)], input=stdin, capture_output=True, text=True,
                            timeout=TOOL_TIMEOUT)
    assert result.returncode == 0, f"PasswordFile refused {path}: {result.stderr}\n{path.read_text()}"
    return result.stdout.splitlines()[1:]


class MosquittoWithPasswords:
    """Debian's mosquitto on a free 127.0.0.1 port, requiring a login from password_file."""

    def __init__(self, password_file: pathlib.Path):
        self._tmpdir = tempfile.TemporaryDirectory(prefix="ringmq-it-mosquitto-pw-")
        port = broker_process._free_port("127.0.0.1")
        config = pathlib.Path(self._tmpdir.name) / "mosquitto.conf"
        config.write_text("\n".join([
            f"listener {port} 127.0.0.1", "allow_anonymous false", f"password_file {password_file}",
            "persistence false", "log_dest stderr", "log_type error", "log_type warning",
            "log_type notice", "log_type information", "user root", ""]))
        self.broker = broker_process.Broker("mosquitto", [str(MOSQUITTO), "-c", str(config)], 1,
                                            ["127.0.0.1"], tmpdir=self._tmpdir,
                                            known_listeners=[("127.0.0.1", port)])

    def connack(self, user: str, password: str) -> int:
        client = PahoClient(self.broker.host, self.broker.port, f"passwd-test-{user}")
        client.client.username_pw_set(user, password)
        try:
            _, code = client.connect()
        finally:
            client.disconnect()
        return code

    def stop(self) -> None:
        returncode = self.broker.stop()
        assert returncode == 0, f"mosquitto exit status {returncode}; log:\n{self.broker.log[-3000:]}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def assert_logins(password_file: pathlib.Path, accepted: list[tuple[str, str]],
                  refused: list[tuple[str, str]]) -> None:
    """mosquitto and ringmq's PasswordFile both accept exactly the `accepted` logins."""
    with MosquittoWithPasswords(password_file) as mosquitto:
        for user, password in accepted:
            assert mosquitto.connack(user, password) == CONNACK_ACCEPTED, (
                f"mosquitto refused {user}/{password}; log:\n{mosquitto.broker.log[-2000:]}")
        for user, password in refused:
            assert mosquitto.connack(user, password) == CONNACK_NOT_AUTHORIZED, f"{user}/{password}"
    verdicts = check_with_password_file(password_file, accepted + refused)
    assert verdicts == ["accepted"] * len(accepted) + ["refused"] * len(refused)


def user_lines(path: pathlib.Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if ":" in line and not line.startswith("#")]
    return {line.split(":", 1)[0]: line.split(":", 1)[1] for line in lines}


@needs_mosquitto
def test_created_file_admits_the_right_password_only(passwd, workdir):
    path = workdir / "pw"
    passwd("-c", "-b", str(path), "alice", "alice-pw")
    assert (path.stat().st_mode & 0o777) == 0o600
    field = user_lines(path)["alice"]
    parts = field.split("$")
    assert parts[1:3] == ["7", "1000"], field
    assert len(parts[3]) == 16 and len(parts[4]) == 88, "12-byte salt and 64-byte hash in base64"
    assert_logins(path, accepted=[("alice", "alice-pw")],
                  refused=[("alice", "alice-pW"), ("alice", ""), ("mallory", "alice-pw")])


@needs_mosquitto
def test_batch_updates_keep_other_lines_and_iterations_follow_dash_i(passwd, workdir):
    path = workdir / "pw"
    passwd("-c", "-b", str(path), "alice", "old-pw")
    with path.open("a") as f:
        f.write("# devices below\n")
    passwd("-I", "101", "-b", str(path), "bob", "bob-pw")
    passwd("-b", str(path), "alice", "new-pw")
    passwd("-I", "5000", "-c", "-b", str(workdir / "other"), "carol", "carol-pw")
    text = path.read_text()
    assert "# devices below\n" in text
    assert text.index("alice:") < text.index("# devices below") < text.index("bob:"), text
    assert user_lines(path)["bob"].startswith("$7$101$")
    assert user_lines(workdir / "other")["carol"].startswith("$7$5000$")
    assert_logins(path, accepted=[("alice", "new-pw"), ("bob", "bob-pw")],
                  refused=[("alice", "old-pw"), ("bob", "new-pw")])
    assert_logins(workdir / "other", accepted=[("carol", "carol-pw")], refused=[("alice", "new-pw")])


@needs_mosquitto
def test_delete_removes_only_that_user(passwd, workdir):
    path = workdir / "pw"
    passwd("-c", "-b", str(path), "alice", "alice-pw")
    passwd("-b", str(path), "bob", "bob-pw")
    passwd("-D", str(path), "bob")
    assert set(user_lines(path)) == {"alice"}
    missing = passwd("-D", str(path), "bob", check=False)
    assert missing.returncode == 1 and "not in the file" in missing.stderr
    assert_logins(path, accepted=[("alice", "alice-pw")], refused=[("bob", "bob-pw")])


def test_edits_keep_owner_group_and_mode_but_never_world_access(passwd, workdir):
    path = workdir / "pw"
    passwd("-c", "-b", str(path), "alice", "alice-pw")
    path.chmod(0o640)
    passwd("-b", str(path), "bob", "bob-pw")
    assert (path.stat().st_mode & 0o777) == 0o640
    path.chmod(0o644)
    passwd("-D", str(path), "bob")
    assert (path.stat().st_mode & 0o777) == 0o640
    assert not list(workdir.glob("pw.*")), "temporary file left behind"
    link = workdir / "link"
    link.symlink_to(path)
    passwd("-b", str(link), "carol", "carol-pw")
    assert link.is_symlink() and "carol" in user_lines(path)


@needs_mosquitto
def test_update_hashes_a_plain_text_file_in_place(passwd, workdir):
    path = workdir / "pw"
    path.write_text("# plain-text accounts\nalice:alice-pw\n  bob :  bob pw with spaces  \n")
    passwd("-I", "101", "-U", str(path))
    assert path.read_text().startswith("# plain-text accounts\n")
    assert all(field.startswith("$7$101$") for field in user_lines(path).values())
    again = passwd("-U", str(path), check=False)
    assert again.returncode == 1 and "already hashed" in again.stderr
    assert_logins(path, accepted=[("alice", "alice-pw"), ("bob", "bob pw with spaces")],
                  refused=[("alice", "bob pw with spaces")])


@needs_mosquitto
def test_password_from_piped_stdin(passwd, workdir):
    path = workdir / "pw"
    passwd("-c", str(path), "alice", stdin="piped-pw\npiped-pw\n")
    passwd(str(path), "bob", stdin="single-line-pw\n")
    mismatch = passwd(str(path), "carol", stdin="one\ntwo\n", check=False)
    assert mismatch.returncode == 1 and "do not match" in mismatch.stderr
    assert "carol" not in user_lines(path)
    assert_logins(path, accepted=[("alice", "piped-pw"), ("bob", "single-line-pw")],
                  refused=[("carol", "one")])


def _run_on_terminal(argv: list[str], answers: list[str], timeout: float = TOOL_TIMEOUT) -> tuple[int, str]:
    """Runs argv on a new pseudo-terminal, typing each answer after the next prompt ending in ': '.
    Returns the exit status and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    shown = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break  # the child closed the terminal
                if not chunk:
                    break
                shown += chunk
                if pending and shown.rstrip(b"\r\n").endswith(b": "):
                    os.write(fd, pending.pop(0).encode() + b"\n")
                    shown += b"\n<typed>\n"
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


@needs_mosquitto
def test_terminal_prompt_asks_twice_without_echo(workdir):
    tool = _binary("tools/passwd/ringmq-passwd")
    path = workdir / "pw"
    code, shown = _run_on_terminal([str(tool), "-c", str(path), "alice"], ["tty-secret", "tty-secret"])
    assert code == 0, shown
    assert "Password: " in shown and "Reenter password: " in shown, shown
    assert "tty-secret" not in shown, f"password echoed: {shown!r}"
    assert_logins(path, accepted=[("alice", "tty-secret")], refused=[("alice", "tty-secreT")])


def test_bad_command_lines_are_refused(passwd, workdir):
    path = workdir / "pw"
    for args in (["-c", "-D", str(path), "u"], ["-b", "-D", str(path), "u"], ["-c", "-U", str(path)],
                 ["-I", "0", "-c", "-b", str(path), "u", "p"], ["-b", str(path), "u"],
                 ["-c", "-b", str(path), "bad:user", "p"], ["-c", "-b", str(path), "bad\tuser", "p"]):
        result = passwd(*args, check=False)
        assert result.returncode == 1, args
    assert not path.exists()
    assert passwd("-b", str(workdir / "missing"), "u", "p", check=False).returncode == 1


@needs_mosquitto_passwd
def test_files_from_mosquitto_passwd_are_read_by_password_file(passwd, workdir):
    path = workdir / "pw"

    def mosquitto_passwd(*args: str) -> None:
        subprocess.run([MOSQUITTO_PASSWD, *args], check=True, timeout=TOOL_TIMEOUT, capture_output=True)

    mosquitto_passwd("-c", "-b", str(path), "alice", "alice-pw")            # $7$, 101 iterations
    mosquitto_passwd("-I", "1000", "-b", str(path), "bob", "bob-pw")        # $7$, 1000 iterations
    mosquitto_passwd("-H", "sha512", "-b", str(path), "carol", "carol-pw")  # legacy $6$
    fields = user_lines(path)
    assert fields["alice"].startswith("$7$101$") and fields["bob"].startswith("$7$1000$")
    assert fields["carol"].startswith("$6$")
    assert check_with_password_file(path, [
        ("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw"),
        ("alice", "bob-pw"), ("carol", "carol-pW"), ("dave", "alice-pw"),
    ]) == ["accepted"] * 3 + ["refused"] * 3

    # Each tool edits the other's file without disturbing its lines.
    passwd("-b", str(path), "dave", "dave-pw")
    mosquitto_passwd("-b", str(path), "bob", "bob-new")
    assert check_with_password_file(path, [
        ("alice", "alice-pw"), ("bob", "bob-new"), ("carol", "carol-pw"), ("dave", "dave-pw"),
        ("bob", "bob-pw"),
    ]) == ["accepted"] * 4 + ["refused"]
    if MOSQUITTO.exists():
        assert_logins(path, accepted=[("alice", "alice-pw"), ("bob", "bob-new"), ("carol", "carol-pw"),
                                      ("dave", "dave-pw")],
                      refused=[("bob", "bob-pw")])
