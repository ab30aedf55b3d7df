"""The settings table: environment first, validation, documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import SettingError
from pipeline.settings import SETTINGS, load_settings

REPO = Path(__file__).resolve().parents[1]


def test_defaults_are_the_documented_safe_values() -> None:
    s = load_settings({})
    assert s.http_timeout == 30.0
    assert s.max_bytes == 10 * 1024 * 1024
    assert s.max_redirects == 5
    assert s.per_host_concurrency == 2
    assert s.allow_private_networks is False
    assert s.allowed_addresses == []
    assert s.database_url.startswith("sqlite:///")
    assert s.llm_url == ""


def test_environment_overrides_each_setting_with_conversion() -> None:
    s = load_settings(
        {
            "LUMI_HTTP_TIMEOUT": "2.5",
            "LUMI_ALLOW_PRIVATE_NETWORKS": "1",
            "LUMI_ALLOWED_ADDRESSES": "127.0.0.1:8080, [::1]:9000",
            "LUMI_TIMEZONE": "Europe/Berlin",
        }
    )
    assert s.http_timeout == 2.5
    assert s.allow_private_networks is True
    assert s.allowed_addresses == ["127.0.0.1:8080", "[::1]:9000"]
    assert s.sources["http_timeout"] == "env"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LUMI_HTTP_TIMEOUT": "soon"}, "LUMI_HTTP_TIMEOUT"),
        ({"LUMI_MAX_BYTES": "-1"}, "greater than 0"),
        ({"LUMI_TIMEZONE": "Mars/Olympus"}, "IANA"),
        ({"LUMI_DIGEST_TIME": "25:00"}, "HH:MM"),
        ({"LUMI_ALLOWED_ADDRESSES": "localhost"}, "host:port"),
        ({"LUMI_ALLOW_PRIVATE_NETWORKS": "maybe"}, "bool"),
        ({"LUMI_LANGUAGE": "fr"}, "en, de"),
        ({"LUMI_DATABASE_URL": "mysql://x"}, "SQLAlchemy URL"),
    ],
)
def test_invalid_values_fail_with_the_variable_and_the_rule(env, message) -> None:
    with pytest.raises(SettingError, match=message):
        load_settings(env)


def test_config_file_fills_in_where_the_environment_is_silent(tmp_path: Path) -> None:
    cfg = tmp_path / "lumi.conf"
    cfg.write_text("LUMI_TIMEZONE=Europe/Berlin\nLUMI_HTTP_TIMEOUT=5\n", encoding="utf-8")
    s = load_settings({"LUMI_HTTP_TIMEOUT": "7"}, config_file=cfg)
    assert s.timezone == "Europe/Berlin" and s.sources["timezone"] == "file"
    assert s.http_timeout == 7.0


def test_unknown_setting_in_config_file_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "lumi.yaml"
    cfg.write_text("timezon: UTC\n", encoding="utf-8")
    with pytest.raises(SettingError, match="unknown setting"):
        load_settings({}, config_file=cfg)


def test_secrets_are_masked_in_the_description() -> None:
    rows = load_settings({"LUMI_LLM_API_KEY": "sk-secret"}).describe()
    assert {r["name"]: r["value"] for r in rows}["llm_api_key"] == "***"


def test_every_setting_has_help_and_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert setting.help.strip(), setting.name
        assert setting.env in readme, f"{setting.env} is not documented in README.md"


def test_the_policy_url_placeholder_is_documented_for_deployments() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "LUMI_AI_POLICY_URL" in dockerfile
    row = next(
        line
        for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `LUMI_AI_POLICY_URL`")
    )
    assert "placeholder" in row and "warning" in row


def test_only_the_default_policy_url_counts_as_a_placeholder() -> None:
    from pipeline.cli import placeholder_warnings

    (warning,) = placeholder_warnings(load_settings({}))
    assert "LUMI_AI_POLICY_URL" in warning
    assert (
        placeholder_warnings(load_settings({"LUMI_AI_POLICY_URL": "https://pub.example/ai"})) == []
    )
    assert placeholder_warnings(load_settings({"LUMI_AI_POLICY_URL": ""})) == []
