from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.settings import DEFAULT_APP_SECRET, Settings, describe_settings_error, get_settings

META_LIKE_SECRET = "0123456789abcdef0123456789abcdef"


def test_development_defaults_need_no_keys() -> None:
    settings = Settings(CONVO_ENV="development")
    assert settings.enable_orchestration is False  # as in the original system
    assert settings.sending_enabled is False
    assert settings.effective_router_mode == "offline"
    assert settings.sqlalchemy_url.startswith("sqlite+aiosqlite:///")


def test_production_refuses_the_default_app_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVO_ENV", "production")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "a-real-verify-token")
    with pytest.raises(ValidationError, match="WHATSAPP_APP_SECRET"):
        Settings()
    monkeypatch.setenv("WHATSAPP_APP_SECRET", DEFAULT_APP_SECRET)
    with pytest.raises(ValidationError, match="WHATSAPP_APP_SECRET"):
        Settings()


def test_production_refuses_the_default_verify_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVO_ENV", "production")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", META_LIKE_SECRET)
    with pytest.raises(ValidationError, match="WHATSAPP_VERIFY_TOKEN"):
        Settings()


def test_production_starts_with_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVO_ENV", "production")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", META_LIKE_SECRET)
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify-me-0123456789")
    monkeypatch.setenv("ENABLE_ORCHESTRATION", "true")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:db-password@db/convo")
    with pytest.raises(
        ValidationError, match=r"REDIS_URL \(or REDIS_SENTINELS\) is required in production"
    ):
        Settings()
    monkeypatch.setenv("REDIS_URL", "redis://:redis-password@redis:6379/0")
    settings = Settings()
    assert settings.enable_orchestration is True
    assert settings.sqlalchemy_url == "postgresql+asyncpg://u:db-password@db/convo"
    for secret in (META_LIKE_SECRET, "db-password", "redis-password"):
        assert secret not in repr(settings)  # secrets never printed


@pytest.mark.parametrize(
    ("secret", "token", "refused"),
    [
        ("x", "verify-me-0123456789", "WHATSAPP_APP_SECRET is 1 characters"),
        ("0123456789abcdef", "verify-me-0123456789", "WHATSAPP_APP_SECRET is 16 characters"),
        (META_LIKE_SECRET, "short-token", "WHATSAPP_VERIFY_TOKEN is 11 characters"),
    ],
)
def test_production_refuses_short_secrets(
    monkeypatch: pytest.MonkeyPatch, secret: str, token: str, refused: str
) -> None:
    monkeypatch.setenv("CONVO_ENV", "production")
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", secret)
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", token)
    with pytest.raises(ValidationError, match=refused):
        Settings()
    monkeypatch.setenv("CONVO_ENV", "development")
    assert Settings().whatsapp_app_secret.get_secret_value() == secret  # development: allowed


def test_router_mode_follows_the_llm_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert Settings().effective_router_mode == "hybrid"
    monkeypatch.setenv("ROUTER_MODE", "offline")
    assert Settings().effective_router_mode == "offline"


def test_llm_router_mode_without_an_llm_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_MODE", "llm")
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        Settings()


def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENABLE_ORCHESTRATION", "perhaps")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_settings_error(caught.value).startswith("ENABLE_ORCHESTRATION:")


def test_get_settings_is_cached() -> None:
    assert get_settings() is get_settings()


def test_log_level_is_validated_like_every_other_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_settings_error(caught.value) == (
        "LOG_LEVEL: 'LOUD' is not a log level; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
    )
    monkeypatch.setenv("LOG_LEVEL", "warning")
    assert Settings().log_level == "WARNING"


def test_chatwoot_needs_its_account_token_and_an_authenticated_webhook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHATWOOT_BASE_URL", "https://chatwoot.example")
    with pytest.raises(ValidationError, match="CHATWOOT_ACCOUNT_ID and CHATWOOT_API_TOKEN"):
        Settings()
    monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", "1")
    monkeypatch.setenv("CHATWOOT_API_TOKEN", "user-token")
    with pytest.raises(ValidationError, match="webhook secret"):
        Settings()
    monkeypatch.setenv("CHATWOOT_WEBHOOK_TOKEN", "a-long-random-string")
    account = Settings().chatwoot_account("demo")
    assert account is not None and account.account_id == 1
    assert "user-token" not in repr(Settings())


def test_a_tenant_can_have_its_own_chatwoot_account(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().chatwoot_account("demo") is None  # the bridge is off by default
    monkeypatch.setenv(
        "CHATWOOT_ACCOUNTS",
        '{"shop": {"base_url": "https://cw.shop", "account_id": 7, "api_token": "t",'
        ' "inbox_id": 2, "webhook_secret": "s"}}',
    )
    shop = Settings().chatwoot_account("shop")
    assert shop is not None and (shop.base_url, shop.inbox_id) == ("https://cw.shop", 2)
    assert Settings().chatwoot_account("demo") is None
    monkeypatch.setenv("CHATWOOT_ACCOUNTS", '{"shop": {"base_url": "https://cw.shop",'
                       ' "account_id": 7, "api_token": "t"}}')  # fmt: skip
    with pytest.raises(ValidationError, match=r"CHATWOOT_ACCOUNTS\[shop\]"):
        Settings()
