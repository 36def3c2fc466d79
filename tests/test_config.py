"""Settings read from the environment: defaults, valid values, and a clear refusal of bad ones."""

import pytest

from workbench.config import EvidenceLimits, Settings, SignInPolicy
from workbench.errors import ConfigurationError


def test_defaults_when_nothing_is_set(clean_env, tmp_path):
    settings = Settings.from_env(tmp_path)
    assert settings.evidence == EvidenceLimits(max_bytes=50 * 1024 * 1024, max_pixels=80_000_000)
    assert settings.sign_in == SignInPolicy(lockout_attempts=5, lockout_minutes=15, idle_minutes=30)
    assert settings.evidence_dir == tmp_path.resolve() / "evidence"


def test_evidence_limits_come_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("WORKBENCH_EVIDENCE_MAX_MB", "2.5")
    monkeypatch.setenv("WORKBENCH_EVIDENCE_MAX_PIXELS", "1000000")
    limits = EvidenceLimits.from_env()
    assert limits.max_bytes == int(2.5 * 1024 * 1024)
    assert limits.max_megabytes == 2.5
    assert limits.max_pixels == 1_000_000


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("WORKBENCH_EVIDENCE_MAX_MB", "lots", "WORKBENCH_EVIDENCE_MAX_MB must be a number of megabytes above 0"),
        ("WORKBENCH_EVIDENCE_MAX_MB", "0", "WORKBENCH_EVIDENCE_MAX_MB must be a number of megabytes above 0"),
        ("WORKBENCH_EVIDENCE_MAX_PIXELS", "-5", "WORKBENCH_EVIDENCE_MAX_PIXELS must be a whole number above 0"),
        ("WORKBENCH_EVIDENCE_MAX_PIXELS", "1e6", "WORKBENCH_EVIDENCE_MAX_PIXELS must be a whole number above 0"),
        ("WORKBENCH_IDLE_MINUTES", "soon", "WORKBENCH_IDLE_MINUTES must be a number of minutes above 0"),
    ],
)
def test_a_bad_setting_is_refused_by_name(clean_env, monkeypatch, tmp_path, name, value, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=says):
        Settings.from_env(tmp_path)
