"""Environment variables and flags -> one Settings object.

Names follow the ecosystem where one exists (openreview-py reads the same OPENREVIEW_* variables).
Secrets are pydantic SecretStr: they print as '**********' in reprs, logs and error messages, and
`public_dict()` (what a run records about itself) leaves them out entirely.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from paperharvest.errors import ConfigError

REPO_CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "venues"

# env var -> settings field. Everything a user can set is here, and in the README.
ENV_VARS: dict[str, str] = {
    "PAPERHARVEST_DB": "db_path",
    "PAPERHARVEST_CONFIGS": "configs_dir",
    "PAPERHARVEST_CREDENTIALS_FILE": "credentials_file",
    "OPENREVIEW_API_BASEURL": "openreview_api_url",
    "OPENREVIEW_API_BASEURL_V2": "openreview_api_url_v2",
    "OPENREVIEW_USERNAME": "openreview_username",
    "OPENREVIEW_PASSWORD": "openreview_password",
    "OPENREVIEW_TOKEN": "openreview_token",
    "PAPERHARVEST_ARXIV_API_URL": "arxiv_api_url",
    "PAPERHARVEST_TIMEOUT": "request_timeout",
    "PAPERHARVEST_MAX_RETRIES": "max_retries",
    "PAPERHARVEST_MAX_RETRY_AFTER": "max_retry_after",
    "PAPERHARVEST_BACKOFF": "backoff_base",
    "PAPERHARVEST_DEADLINE": "run_deadline",
    "PAPERHARVEST_PAGE_SIZE": "page_size",
    "PAPERHARVEST_PROFILE_REFRESH_DAYS": "profile_refresh_days",
    "PAPERHARVEST_ALLOW_PRIVATE_HOSTS": "allow_private_hosts",
    "PAPERHARVEST_HOMEPAGE_REFRESH_DAYS": "homepage_refresh_days",
    "PAPERHARVEST_HOMEPAGE_MAX_BYTES": "homepage_max_bytes",
    "PAPERHARVEST_HOMEPAGE_CONCURRENCY": "homepage_concurrency",
    "PAPERHARVEST_HOMEPAGE_HOST_INTERVAL": "homepage_host_interval",
    "PAPERHARVEST_HOMEPAGE_TIMEOUT": "homepage_timeout",
    "PAPERHARVEST_ARXIV_DELAY": "arxiv_delay",
    "PAPERHARVEST_ARXIV_RETRY_DAYS": "arxiv_retry_days",
    "PAPERHARVEST_CODE_APIS": "code_apis",
    "PAPERHARVEST_HF_API_URL": "hf_api_url",
    "PAPERHARVEST_PWC_API_URL": "pwc_api_url",
    "PAPERHARVEST_S2_API_URL": "s2_api_url",
    "S2_API_KEY": "s2_api_key",
    "GITHUB_TOKEN": "github_token",
    "PAPERHARVEST_GITHUB_API_URL": "github_api_url",
    "PAPERHARVEST_GITHUB_REFRESH_DAYS": "github_refresh_days",
}
CODE_APIS = ("huggingface", "paperswithcode", "semanticscholar")
SECRET_FIELDS = frozenset({"openreview_password", "openreview_token", "github_token", "s2_api_key"})
CREDENTIAL_KEYS = ("OPENREVIEW_USERNAME", "OPENREVIEW_PASSWORD", "OPENREVIEW_TOKEN", "GITHUB_TOKEN", "S2_API_KEY")


class Settings(BaseModel):
    """Everything a run needs to know that is not a venue config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    db_path: Path = Path("data/paperharvest.db")
    configs_dir: Path | None = None
    credentials_file: Path | None = None
    openreview_api_url: str = "https://api.openreview.net"
    openreview_api_url_v2: str = "https://api2.openreview.net"
    openreview_username: str | None = None
    openreview_password: SecretStr | None = None
    openreview_token: SecretStr | None = None
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    request_timeout: float = Field(60.0, gt=0)
    max_retries: int = Field(6, ge=0)
    max_retry_after: float = Field(300.0, ge=0)
    backoff_base: float = Field(2.0, ge=0)
    run_deadline: float = Field(3600.0, gt=0)
    page_size: int = Field(1000, ge=1, le=1000)
    profile_refresh_days: float = Field(30.0, ge=0)
    allow_private_hosts: bool = False
    homepage_refresh_days: float = Field(7.0, ge=0)
    homepage_max_bytes: int = Field(3_000_000, ge=1024)
    homepage_concurrency: int = Field(8, ge=1, le=64)
    homepage_host_interval: float = Field(1.0, ge=0)
    homepage_timeout: float = Field(15.0, gt=0)
    arxiv_delay: float = Field(3.0, ge=0)
    arxiv_retry_days: float = Field(30.0, ge=0)
    code_apis: str = ""
    hf_api_url: str = "https://huggingface.co/api"
    pwc_api_url: str = "https://paperswithcode.co/api/v1"
    s2_api_url: str = "https://api.semanticscholar.org/graph/v1"
    s2_api_key: SecretStr | None = None
    github_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    github_refresh_days: float = Field(7.0, ge=0)

    @field_validator("code_apis")
    @classmethod
    def _known_code_apis(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = sorted(set(names) - set(CODE_APIS))
        if unknown:
            raise ValueError(f"unknown code API(s) {', '.join(unknown)}; known: {', '.join(CODE_APIS)}")
        return ",".join(names)

    @property
    def enabled_code_apis(self) -> frozenset[str]:
        return frozenset(n for n in self.code_apis.split(",") if n)

    @property
    def has_credentials(self) -> bool:
        return bool(self.openreview_token or (self.openreview_username and self.openreview_password))

    @property
    def venue_configs_dir(self) -> Path:
        if self.configs_dir is not None:
            return self.configs_dir
        local = Path("configs/venues")
        return local if local.is_dir() else REPO_CONFIGS

    @property
    def openreview_hosts(self) -> dict[Literal[1, 2], str]:
        """The OpenReview API base URL of each API version, v2 first (it also serves v1 venues' groups)."""
        return {2: self.openreview_api_url_v2, 1: self.openreview_api_url}

    @property
    def services(self) -> dict[str, str]:
        """The API base URLs by service name: recordings key requests by these names, not by host."""
        return {
            "openreview": self.openreview_api_url,
            "openreview-v2": self.openreview_api_url_v2,
            "arxiv": self.arxiv_api_url,
            "huggingface": self.hf_api_url,
            "paperswithcode": self.pwc_api_url,
            "semanticscholar": self.s2_api_url,
            "github": self.github_api_url,
        }

    def public_dict(self) -> dict[str, Any]:
        """What a run may record about its settings: no secrets, not even whether the username is set."""
        data = self.model_dump(mode="json", exclude=set(SECRET_FIELDS) | {"openreview_username"})
        data["logged_in"] = self.has_credentials
        return data


def read_credentials_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (OPENREVIEW_USERNAME, OPENREVIEW_PASSWORD, OPENREVIEW_TOKEN, GITHUB_TOKEN, S2_API_KEY)
    from a 0600 file."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read credentials file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"credentials file {path} is readable by others (mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )
    values: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or key not in CREDENTIAL_KEYS:
            # Never echo the line: it may hold a password.
            raise ConfigError(
                f"credentials file {path}, line {lineno}: expected one of {', '.join(CREDENTIAL_KEYS)}=VALUE"
            )
        values[key] = _unquote(value.strip())
    return values


def _unquote(value: str) -> str:
    """Drop one matching pair of surrounding quotes, as a shell would; a quote inside a password stays."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment, a credentials file, then flags (later wins).

    `overrides` are flag values; None means "not given" and leaves the environment's value.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name, field in ENV_VARS.items():
        if env.get(name, "") != "":
            values[field] = env[name]
    values.update({k: v for k, v in overrides.items() if v is not None})
    creds_path = values.get("credentials_file")
    if creds_path:
        from_file = read_credentials_file(Path(creds_path))
        for key, value in from_file.items():
            values.setdefault(ENV_VARS[key], value)
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            env_name = next((k for k, v in ENV_VARS.items() if v == field), field)
            # The offending value is left out on purpose: it could be a secret.
            problems.append(f"{env_name}: {err['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None
