"""Runtime configuration, read once from ``CLOUDTAP_*`` environment variables.

Every engine has an embedded default that lives in the data dir, so ``cloudtap serve``
works with no set-up; each can be pointed elsewhere when one machine is outgrown.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

DEFAULT_DATA_DIR = ".cloudtap"
MASTER_KEY_FILE = "master.key"
# The sandbox's CA, under the data dir: its process writes it, every client of the sandbox
# (workers included) trusts it. A convention of the deployment, so no one imports the
# sandbox to find it.
SANDBOX_CA_DIRECTORY = Path("sandbox") / "ca"
SANDBOX_CA_CERT_FILE = "ca.pem"


class SettingError(ValueError):
    """A ``CLOUDTAP_*`` variable holds a value cloudtap cannot use; says which."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    queue_url: str
    storage_url: str
    master_key_env: str | None = field(default=None, repr=False)
    # Where the generated master key is kept when not in the data dir (``cloudtap pull``
    # keeps it out of the folder it copies into).
    master_key_file: Path | None = None
    # Outbound (webhook, S3 endpoint) SSRF allow-list: hosts or CIDRs that may be private
    # (local development, tests, an on-premises MinIO).
    outbound_allow_hosts: tuple[str, ...] = ()
    # Directories ``local://`` storage configs may use besides the results folder.
    local_storage_roots: tuple[Path, ...] = ()
    # Ricloud-Await is capped so a client cannot hold a worker forever.
    await_cap_seconds: float = 30.0
    result_ttl_seconds: int = 7 * 24 * 3600
    signed_url_ttl_seconds: int = 3600
    public_url: str | None = None
    # Where ``cloudtap serve`` listens (``http://host:port``): signed links name it when
    # ``public_url`` is unset, never the Host header a caller sends.
    bind_url: str | None = None
    sandbox_seed: int = 1
    # Seconds before the sandbox's trusted device allows an ADP web-access request.
    sandbox_consent_delay: float = 5.0
    sandbox_captures_dir: Path | None = None
    # A sandbox run elsewhere (``cloudtap sandbox serve``) that every process uses instead
    # of the one ``cloudtap serve`` starts and publishes in the data dir.
    sandbox_proxy_url: str | None = None
    sandbox_ca_file: Path | None = None
    # Webhook retries wait base·2^(n-1) s, jittered: 600 s spreads 5 attempts over ~2.5 h
    # (ricloud: "over the course of a few hours"); tests use ~0.2 s.
    webhook_backoff_base_seconds: float = 600.0
    webhook_timeout_seconds: float = 10.0
    # Subscriptions may not poll more often than this (ricloud's minimum is an hour).
    subscription_min_interval_seconds: int = 3600
    # How often expired results are looked for and removed.
    retention_sweep_seconds: float = 60.0
    # Request bodies above this are refused (413) before they are read in full.
    max_body_bytes: int = 1024 * 1024
    # How long in all one task may wait out Apple's throttling (Retry-After) before it
    # fails with ``rate-limited``; 0 fails it at the first 503.
    throttle_retry_budget_seconds: float = 900.0
    # After Apple refuses a sign-in (503, no Retry-After), no sign-in of that Apple ID
    # goes to Apple for this long, doubled for each refusal within a day: users report
    # lockouts of 15 min growing when clients come back early (jobs.signin_cooldown).
    signin_cooldown_seconds: float = 900.0
    # A running poll or task renews its lease every third of this; a worker that dies
    # loses it after this long, and its job is run again (at most ``task_max_attempts``
    # times in all before it fails with ``worker-lost``).
    task_lease_seconds: float = 30.0
    task_max_attempts: int = 3
    # ``session.expiring`` goes out this many days before a session's ``date_expires``
    # (Plaid sends its ``PENDING_EXPIRATION`` about a week ahead).
    session_expiring_days: float = 7.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("CLOUDTAP_DATA_DIR") or DEFAULT_DATA_DIR).expanduser().resolve()
        captures = env.get("CLOUDTAP_SANDBOX_CAPTURES")
        # The older, webhook-only name still counts, for every outbound URL now.
        allow = ",".join(
            env.get(name, "")
            for name in ("CLOUDTAP_OUTBOUND_ALLOW_HOSTS", "CLOUDTAP_WEBHOOK_ALLOW_HOSTS")
        )
        sandbox_ca = env.get("CLOUDTAP_SANDBOX_CA_FILE")
        local_roots = env.get("CLOUDTAP_LOCAL_STORAGE_ROOTS", "")
        key_file = env.get("CLOUDTAP_MASTER_KEY_FILE")
        return cls(
            data_dir=data_dir,
            database_url=env.get("CLOUDTAP_DATABASE_URL")
            or f"sqlite:///{data_dir / 'cloudtap.db'}",
            queue_url=env.get("CLOUDTAP_QUEUE_URL") or f"sqlite:///{data_dir / 'queue.db'}",
            storage_url=env.get("CLOUDTAP_STORAGE_URL") or f"file://{data_dir / 'results'}",
            master_key_env=env.get("CLOUDTAP_MASTER_KEY"),
            master_key_file=Path(key_file).expanduser() if key_file else None,
            outbound_allow_hosts=tuple(
                dict.fromkeys(h.strip() for h in allow.split(",") if h.strip())
            ),
            local_storage_roots=tuple(
                Path(r.strip()).expanduser() for r in local_roots.split(os.pathsep) if r.strip()
            ),
            await_cap_seconds=_float(env, "CLOUDTAP_AWAIT_CAP", "30"),
            result_ttl_seconds=_int(env, "CLOUDTAP_RESULT_TTL", str(7 * 24 * 3600)),
            signed_url_ttl_seconds=_int(env, "CLOUDTAP_SIGNED_URL_TTL", "3600"),
            public_url=env.get("CLOUDTAP_PUBLIC_URL") or None,
            sandbox_seed=_int(env, "CLOUDTAP_SANDBOX_SEED", "1"),
            sandbox_consent_delay=_float(env, "CLOUDTAP_SANDBOX_CONSENT_DELAY", "5"),
            sandbox_captures_dir=Path(captures).expanduser().resolve() if captures else None,
            sandbox_proxy_url=env.get("CLOUDTAP_SANDBOX_PROXY_URL") or None,
            sandbox_ca_file=Path(sandbox_ca).expanduser().resolve() if sandbox_ca else None,
            webhook_backoff_base_seconds=_float(env, "CLOUDTAP_WEBHOOK_BACKOFF_BASE", "600"),
            webhook_timeout_seconds=_float(env, "CLOUDTAP_WEBHOOK_TIMEOUT", "10"),
            subscription_min_interval_seconds=_int(
                env, "CLOUDTAP_SUBSCRIPTION_MIN_INTERVAL", "3600"
            ),
            retention_sweep_seconds=_float(env, "CLOUDTAP_RETENTION_SWEEP_INTERVAL", "60"),
            max_body_bytes=_int(env, "CLOUDTAP_MAX_BODY_BYTES", str(1024 * 1024)),
            throttle_retry_budget_seconds=_float(env, "CLOUDTAP_THROTTLE_RETRY_BUDGET", "900"),
            signin_cooldown_seconds=_float(env, "CLOUDTAP_SIGNIN_COOLDOWN", "900"),
            task_lease_seconds=_float(env, "CLOUDTAP_TASK_LEASE_SECONDS", "30"),
            task_max_attempts=_int(env, "CLOUDTAP_TASK_MAX_ATTEMPTS", "3"),
            session_expiring_days=_float(env, "CLOUDTAP_SESSION_EXPIRING_DAYS", "7"),
        )

    @property
    def webhook_allow_hosts(self) -> tuple[str, ...]:
        """The older name of :attr:`outbound_allow_hosts`."""
        return self.outbound_allow_hosts

    @cached_property
    def master_key(self) -> bytes:
        """The 32-byte key that seals Apple session state and signs URLs.

        Taken from ``CLOUDTAP_MASTER_KEY`` (hex or urlsafe base64) or generated once into
        ``CLOUDTAP_MASTER_KEY_FILE`` (default: the data dir's ``master.key``) with
        owner-only permissions.
        """
        from cloudtap.crypto.keys import decode_master_key

        if self.master_key_env:
            return decode_master_key(self.master_key_env)
        path = self.master_key_file or self.data_dir / MASTER_KEY_FILE
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return decode_master_key(path.read_text().strip())


def _float(env: dict[str, str], name: str, default: str) -> float:
    text = env.get(name, default)
    try:
        return float(text)
    except ValueError:
        raise SettingError(f"{name} must be a number, not {text!r}") from None


def _int(env: dict[str, str], name: str, default: str) -> int:
    text = env.get(name, default)
    try:
        return int(text)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {text!r}") from None


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def set_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (the CLI and tests do this)."""
    global _settings
    _settings = settings
