"""Settings: environment variables, flags and the credentials file -> one Settings object, secrets kept out of sight."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from paperharvest.errors import ConfigError
from paperharvest.settings import ENV_VARS, SECRET_FIELDS, Settings, load_settings, read_credentials_file

# Looks like a password on purpose: nothing that prints settings or errors may ever show it.
SECRET = "hunter2-Tr0ub4dor&3"
OTHER_SECRET = "c0rrect-h0rse-b4ttery"
DEFAULTS = Settings.model_validate({})


def _creds_file(tmp_path: Path, text: str, mode: int = 0o600, name: str = "credentials") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


# --- environment ------------------------------------------------------------------------------------------


def test_empty_environment_gives_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    # An explicit empty mapping means "no environment", not "fall back to os.environ".
    monkeypatch.setenv("PAPERHARVEST_DB", "from-os-environ.db")
    monkeypatch.setenv("OPENREVIEW_TOKEN", OTHER_SECRET)
    settings = load_settings({})
    assert settings == DEFAULTS
    assert settings.db_path == Path("data/paperharvest.db")
    assert settings.has_credentials is False


def test_env_vars_map_to_their_fields() -> None:
    env = {
        "PAPERHARVEST_DB": "/var/lib/ph/harvest.db",
        "PAPERHARVEST_CONFIGS": "/etc/ph/venues",
        "OPENREVIEW_API_BASEURL": "http://127.0.0.1:8001",
        "OPENREVIEW_API_BASEURL_V2": "http://127.0.0.1:8002",
        "OPENREVIEW_USERNAME": "someone@example.org",
        "OPENREVIEW_PASSWORD": SECRET,
        "OPENREVIEW_TOKEN": OTHER_SECRET,
        "PAPERHARVEST_ARXIV_API_URL": "http://127.0.0.1:8003/api/query",
        "PAPERHARVEST_TIMEOUT": "12.5",
        "PAPERHARVEST_MAX_RETRIES": "3",
        "PAPERHARVEST_MAX_RETRY_AFTER": "42",
        "PAPERHARVEST_BACKOFF": "0.25",
        "PAPERHARVEST_DEADLINE": "900",
        "PAPERHARVEST_PAGE_SIZE": "250",
    }
    settings = load_settings(env)
    assert settings.db_path == Path("/var/lib/ph/harvest.db")
    assert settings.configs_dir == Path("/etc/ph/venues")
    assert settings.venue_configs_dir == Path("/etc/ph/venues")
    assert settings.openreview_api_url == "http://127.0.0.1:8001"
    assert settings.openreview_api_url_v2 == "http://127.0.0.1:8002"
    assert settings.openreview_username == "someone@example.org"
    assert isinstance(settings.openreview_password, SecretStr)
    assert settings.openreview_password.get_secret_value() == SECRET
    assert isinstance(settings.openreview_token, SecretStr)
    assert settings.openreview_token.get_secret_value() == OTHER_SECRET
    assert settings.arxiv_api_url == "http://127.0.0.1:8003/api/query"
    assert settings.request_timeout == 12.5
    assert settings.max_retries == 3
    assert settings.max_retry_after == 42.0
    assert settings.backoff_base == 0.25
    assert settings.run_deadline == 900.0
    assert settings.page_size == 250
    assert settings.has_credentials is True


def test_every_env_var_names_a_real_field() -> None:
    assert set(ENV_VARS.values()) <= set(Settings.model_fields)
    assert len(set(ENV_VARS.values())) == len(ENV_VARS)
    assert set(SECRET_FIELDS) <= set(ENV_VARS.values())


def test_openreview_names_match_openreview_py() -> None:
    # openreview-py reads exactly these names; using others would make users set two sets of variables.
    for name in ("OPENREVIEW_API_BASEURL", "OPENREVIEW_API_BASEURL_V2", "OPENREVIEW_USERNAME", "OPENREVIEW_PASSWORD"):
        assert name in ENV_VARS


def test_empty_env_value_counts_as_unset() -> None:
    settings = load_settings({"PAPERHARVEST_DB": "", "PAPERHARVEST_TIMEOUT": ""})
    assert settings.db_path == DEFAULTS.db_path
    assert settings.request_timeout == DEFAULTS.request_timeout


def test_unrelated_env_vars_are_ignored() -> None:
    assert load_settings({"PAPERHARVEST_NOT_A_SETTING": "x", "HOME": "/root"}) == DEFAULTS


def test_reads_os_environ_when_no_env_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAPERHARVEST_DB", str(tmp_path / "from-os-environ.db"))
    assert load_settings().db_path == tmp_path / "from-os-environ.db"


# --- flags --------------------------------------------------------------------------------------------------


def test_flags_override_env() -> None:
    env = {"PAPERHARVEST_DB": "env.db", "PAPERHARVEST_PAGE_SIZE": "100", "OPENREVIEW_USERNAME": "env-user"}
    settings = load_settings(env, db_path="flag.db", page_size=7, openreview_username="flag-user")
    assert settings.db_path == Path("flag.db")
    assert settings.page_size == 7
    assert settings.openreview_username == "flag-user"


def test_none_flag_leaves_env_value() -> None:
    env = {"PAPERHARVEST_DB": "env.db", "PAPERHARVEST_MAX_RETRIES": "2"}
    settings = load_settings(env, db_path=None, max_retries=None)
    assert settings.db_path == Path("env.db")
    assert settings.max_retries == 2


def test_none_flag_without_env_leaves_default() -> None:
    assert load_settings({}, db_path=None).db_path == DEFAULTS.db_path


def test_unknown_flag_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no_such_option"):
        load_settings({}, no_such_option=1)


# --- invalid values -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["PAPERHARVEST_TIMEOUT", "PAPERHARVEST_MAX_RETRIES", "PAPERHARVEST_PAGE_SIZE", "PAPERHARVEST_DEADLINE"],
)
def test_invalid_value_names_env_var_not_value(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({name: SECRET})
    message = str(info.value)
    assert name in message
    assert SECRET not in message
    assert "hunter2" not in message
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PAPERHARVEST_PAGE_SIZE", "1001"),  # the API refuses limit=1001
        ("PAPERHARVEST_PAGE_SIZE", "0"),
        ("PAPERHARVEST_TIMEOUT", "0"),
        ("PAPERHARVEST_TIMEOUT", "-5"),
        ("PAPERHARVEST_MAX_RETRIES", "-1"),
        ("PAPERHARVEST_DEADLINE", "0"),
        ("PAPERHARVEST_BACKOFF", "-0.5"),
    ],
)
def test_out_of_range_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    assert name in str(info.value)


def test_page_size_limits_are_inclusive() -> None:
    assert load_settings({"PAPERHARVEST_PAGE_SIZE": "1000"}).page_size == 1000
    assert load_settings({"PAPERHARVEST_PAGE_SIZE": "1"}).page_size == 1


def test_every_invalid_variable_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"PAPERHARVEST_TIMEOUT": SECRET, "PAPERHARVEST_MAX_RETRIES": OTHER_SECRET})
    message = str(info.value)
    assert "PAPERHARVEST_TIMEOUT" in message
    assert "PAPERHARVEST_MAX_RETRIES" in message
    assert SECRET not in message
    assert OTHER_SECRET not in message


def test_invalid_value_error_does_not_chain_the_validation_error() -> None:
    # A chained pydantic error would print the input value in a traceback.
    with pytest.raises(ConfigError) as info:
        load_settings({"PAPERHARVEST_TIMEOUT": SECRET})
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True


# --- secrets out of sight -----------------------------------------------------------------------------------


def _logged_in() -> Settings:
    return load_settings(
        {"OPENREVIEW_USERNAME": "someone@example.org", "OPENREVIEW_PASSWORD": SECRET, "OPENREVIEW_TOKEN": OTHER_SECRET}
    )


def test_secrets_not_in_repr_or_str() -> None:
    settings = _logged_in()
    for text in (repr(settings), str(settings), f"{settings}"):
        assert SECRET not in text
        assert OTHER_SECRET not in text


def test_public_dict_has_no_secrets_and_no_username() -> None:
    settings = _logged_in()
    public = settings.public_dict()
    text = repr(public)
    assert SECRET not in text
    assert OTHER_SECRET not in text
    assert "someone@example.org" not in text
    for field in ("openreview_password", "openreview_token", "openreview_username"):
        assert field not in public
    assert public["logged_in"] is True
    # Everything else is there, so a run can record what it ran with.
    assert set(public) == set(Settings.model_fields) - set(SECRET_FIELDS) - {"openreview_username"} | {"logged_in"}
    assert public["db_path"] == str(settings.db_path)


def test_public_dict_logged_in_reflects_credentials() -> None:
    assert load_settings({}).public_dict()["logged_in"] is False
    # A username alone is not a login.
    assert load_settings({"OPENREVIEW_USERNAME": "u@example.org"}).public_dict()["logged_in"] is False
    assert load_settings({"OPENREVIEW_PASSWORD": SECRET}).public_dict()["logged_in"] is False
    assert load_settings({"OPENREVIEW_TOKEN": OTHER_SECRET}).public_dict()["logged_in"] is True


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(ValueError):
        setattr(settings, "db_path", Path("elsewhere.db"))  # noqa: B010


# --- credentials file ---------------------------------------------------------------------------------------


def test_credentials_file_0600_is_read(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_USERNAME=someone@example.org\nOPENREVIEW_PASSWORD={SECRET}\n")
    assert read_credentials_file(path) == {"OPENREVIEW_USERNAME": "someone@example.org", "OPENREVIEW_PASSWORD": SECRET}


def test_credentials_file_feeds_settings(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_USERNAME=someone@example.org\nOPENREVIEW_PASSWORD={SECRET}\n")
    settings = load_settings({"PAPERHARVEST_CREDENTIALS_FILE": str(path)})
    assert settings.credentials_file == path
    assert settings.openreview_username == "someone@example.org"
    assert settings.openreview_password is not None
    assert settings.openreview_password.get_secret_value() == SECRET
    assert settings.has_credentials
    assert SECRET not in repr(settings)


def test_credentials_file_given_as_flag(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_TOKEN={OTHER_SECRET}\n")
    settings = load_settings({}, credentials_file=path)
    assert settings.openreview_token is not None
    assert settings.openreview_token.get_secret_value() == OTHER_SECRET


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_credentials_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_PASSWORD={SECRET}\n", mode=mode)
    with pytest.raises(ConfigError) as info:
        read_credentials_file(path)
    message = str(info.value)
    assert f"chmod 600 {path}" in message
    assert f"{mode:04o}" in message
    assert SECRET not in message


def test_loose_credentials_file_stops_load_settings(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_PASSWORD={SECRET}\n", mode=0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_settings({"PAPERHARVEST_CREDENTIALS_FILE": str(path)})


def test_owner_only_modes_are_accepted(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, "OPENREVIEW_USERNAME=u\n", mode=0o400)
    assert read_credentials_file(path) == {"OPENREVIEW_USERNAME": "u"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


def test_missing_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "nope"
    with pytest.raises(ConfigError) as info:
        load_settings({"PAPERHARVEST_CREDENTIALS_FILE": str(path)})
    assert str(path) in str(info.value)


def test_unknown_key_is_refused_without_echoing_the_line(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_USERNAME=u\nOPENREVIEW_PASSWD={SECRET}\n")
    with pytest.raises(ConfigError) as info:
        read_credentials_file(path)
    message = str(info.value)
    assert "line 2" in message
    assert str(path) in message
    assert SECRET not in message
    assert "hunter2" not in message


def test_line_without_equals_is_refused_without_echoing_it(tmp_path: Path) -> None:
    # Someone pasted the bare password on its own line.
    path = _creds_file(tmp_path, f"# my login\n{SECRET}\n")
    with pytest.raises(ConfigError) as info:
        read_credentials_file(path)
    message = str(info.value)
    assert "line 2" in message
    assert SECRET not in message
    assert "hunter2" not in message


def test_comments_blank_lines_spaces_and_quotes(tmp_path: Path) -> None:
    text = (
        "# OpenReview login for the nightly harvest\n"
        "\n"
        "   \n"
        "  # indented comment\n"
        f'OPENREVIEW_USERNAME = "someone@example.org"\n'
        f"OPENREVIEW_PASSWORD='{SECRET}'\n"
        "\n"
    )
    path = _creds_file(tmp_path, text)
    assert read_credentials_file(path) == {"OPENREVIEW_USERNAME": "someone@example.org", "OPENREVIEW_PASSWORD": SECRET}


def test_value_may_contain_equals_sign(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, "OPENREVIEW_TOKEN=abc==def=\n")
    assert read_credentials_file(path) == {"OPENREVIEW_TOKEN": "abc==def="}


def test_empty_credentials_file_gives_nothing(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, "# nothing yet\n\n")
    assert read_credentials_file(path) == {}
    assert load_settings({"PAPERHARVEST_CREDENTIALS_FILE": str(path)}).has_credentials is False


def test_real_env_values_win_over_the_file(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_USERNAME=file-user\nOPENREVIEW_PASSWORD={SECRET}\n")
    env = {
        "PAPERHARVEST_CREDENTIALS_FILE": str(path),
        "OPENREVIEW_USERNAME": "env-user",
        "OPENREVIEW_PASSWORD": OTHER_SECRET,
    }
    settings = load_settings(env)
    assert settings.openreview_username == "env-user"
    assert settings.openreview_password is not None
    assert settings.openreview_password.get_secret_value() == OTHER_SECRET


def test_file_fills_what_env_leaves_unset(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_USERNAME=file-user\nOPENREVIEW_PASSWORD={SECRET}\n")
    settings = load_settings({"PAPERHARVEST_CREDENTIALS_FILE": str(path), "OPENREVIEW_USERNAME": "env-user"})
    assert settings.openreview_username == "env-user"
    assert settings.openreview_password is not None
    assert settings.openreview_password.get_secret_value() == SECRET


def test_empty_env_value_does_not_block_the_file(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, f"OPENREVIEW_PASSWORD={SECRET}\n")
    settings = load_settings({"PAPERHARVEST_CREDENTIALS_FILE": str(path), "OPENREVIEW_PASSWORD": ""})
    assert settings.openreview_password is not None
    assert settings.openreview_password.get_secret_value() == SECRET


def test_flags_win_over_the_file(tmp_path: Path) -> None:
    path = _creds_file(tmp_path, "OPENREVIEW_USERNAME=file-user\n")
    settings = load_settings({"PAPERHARVEST_CREDENTIALS_FILE": str(path)}, openreview_username="flag-user")
    assert settings.openreview_username == "flag-user"


def test_flag_credentials_file_replaces_env_one(tmp_path: Path) -> None:
    env_file = _creds_file(tmp_path, "OPENREVIEW_USERNAME=env-file-user\n", name="env-creds")
    flag_file = _creds_file(tmp_path, "OPENREVIEW_USERNAME=flag-file-user\n", name="flag-creds")
    settings = load_settings({"PAPERHARVEST_CREDENTIALS_FILE": str(env_file)}, credentials_file=flag_file)
    assert settings.credentials_file == flag_file
    assert settings.openreview_username == "flag-file-user"


def test_configs_dir_setting_wins_over_repo_default(tmp_path: Path) -> None:
    assert load_settings({"PAPERHARVEST_CONFIGS": str(tmp_path)}).venue_configs_dir == tmp_path
