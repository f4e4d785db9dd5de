"""Configuration from RELAIS_ variables: defaults, conversions, clear errors."""

import pytest

from referral.config import ConfigError, load_settings, prepare_instance


def test_defaults_are_embedded(tmp_path):
    settings = load_settings({"RELAIS_INSTANCE_PATH": str(tmp_path)})
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'relais.db'}"
    assert settings.mail_backend == "file"
    assert settings.outbox_path == tmp_path / "outbox"
    assert settings.attribution_window_days == 30


def test_values_are_converted():
    settings = load_settings(
        {"RELAIS_MAX_UPLOAD_MB": "2.5", "RELAIS_WORKER_ENABLED": "no", "RELAIS_SMTP_PORT": "587"}
    )
    assert settings.max_upload_mb == 2.5
    assert settings.worker_enabled is False
    assert settings.smtp_port == 587


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RELAIS_SMTP_PORT", "twenty-five", "RELAIS_SMTP_PORT: expected int"),
        ("RELAIS_WORKER_ENABLED", "maybe", "RELAIS_WORKER_ENABLED: expected true/false"),
        ("RELAIS_MAIL_BACKEND", "pigeon", "RELAIS_MAIL_BACKEND: expected one of file, smtp"),
        ("RELAIS_DATABASE_URL", "not a url", "RELAIS_DATABASE_URL: not a database URL"),
        ("RELAIS_ATTRIBUTION_WINDOW_DAYS", "0", "RELAIS_ATTRIBUTION_WINDOW_DAYS: must be"),
        ("RELAIS_PROXIES", "-1", "RELAIS_PROXIES: must be between 0 and 5"),
        ("RELAIS_TIMEZONE", "Europe/Lutece", "RELAIS_TIMEZONE: not a time zone"),
        ("RELAIS_SCORE_WEIGHTS", "speed=1", "RELAIS_SCORE_WEIGHTS: expected name=weight pairs"),
        ("RELAIS_SCORE_WEIGHTS", "title", "RELAIS_SCORE_WEIGHTS: expected name=weight pairs"),
        ("RELAIS_SCORE_WEIGHTS", "title=high", "RELAIS_SCORE_WEIGHTS: title: expected a number"),
        ("RELAIS_SCORE_WEIGHTS", "title=-1", "RELAIS_SCORE_WEIGHTS: weights cannot be negative"),
    ],
)
def test_malformed_values_name_the_variable(name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({name: value})


def test_secret_key_is_generated_once_and_kept_out_of_the_code(tmp_path):
    settings = prepare_instance(load_settings({"RELAIS_INSTANCE_PATH": str(tmp_path)}))
    again = prepare_instance(load_settings({"RELAIS_INSTANCE_PATH": str(tmp_path)}))
    assert len(settings.secret_key) > 40
    assert settings.secret_key == again.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unwritable_instance_folder_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="RELAIS_INSTANCE_PATH"):
        prepare_instance(load_settings({"RELAIS_INSTANCE_PATH": str(blocker / "inside")}))


def test_masked_output_hides_secrets():
    masked = load_settings(
        {
            "RELAIS_SECRET_KEY": "s3cret",
            "RELAIS_SMTP_PASSWORD": "pw",
            "RELAIS_DATABASE_URL": "postgresql://bob:hunter2@db/relais",
        }
    ).masked()
    assert masked["RELAIS_SECRET_KEY"] == "****"
    assert masked["RELAIS_SMTP_PASSWORD"] == "****"
    assert "hunter2" not in masked["RELAIS_DATABASE_URL"]


def test_score_weights_override_the_components_they_name():
    from matching import Weights

    assert load_settings({}).weights == Weights()
    weights = load_settings({"RELAIS_SCORE_WEIGHTS": " similarity = 0.5, languages=0 "}).weights
    assert weights == Weights(similarity=0.5, languages=0.0)
