"""Settings, read from the environment (and `.env`) and validated once at start-up.

Every variable is documented in the README's configuration table. Nothing here opens
a connection: call :func:`get_settings` where a setting is needed.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_APP_SECRET = "dev-app-secret"
DEFAULT_VERIFY_TOKEN = "dev-verify-token"
MIN_APP_SECRET_LENGTH = 32
"""Meta's app secrets are 32 hex characters: anything shorter is not one."""
MIN_VERIFY_TOKEN_LENGTH = 16

Environment = Literal["development", "test", "production"]
RouterMode = Literal["offline", "llm", "hybrid"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """The configuration cannot be used; the message says which variable to fix.

    Raised inside validation, so pydantic reports it wrapped in a `ValidationError`;
    :func:`describe_settings_error` turns that into lines that name the variables.
    """


def describe_settings_error(error: ValidationError) -> str:
    """One line per problem, naming the environment variable (e.g. `ENABLE_ORCHESTRATION`)."""
    lines = []
    for item in error.errors():
        variable = "_".join(str(part) for part in item["loc"]).upper()
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{variable}: {message}" if variable else message)
    return "\n".join(lines)


def exit_on_settings_error() -> Settings:
    """The settings, or the process ends with the configuration error (exit code 2): one
    line per problem, naming the variable, the same for every setting and every entry point."""
    try:
        return get_settings()
    except ValidationError as exc:
        print(f"convo: configuration error:\n{describe_settings_error(exc)}", file=sys.stderr)
        raise SystemExit(2) from None


class TemplateSetting(BaseModel):
    """An approved WhatsApp template, by name and language code."""

    name: str = Field(min_length=1)
    language: str = "en_US"


class StripeAccount(BaseModel):
    """One tenant's own Stripe account (`STRIPE_ACCOUNTS`)."""

    secret_key: SecretStr
    webhook_secret: SecretStr


class ChatwootAccount(BaseModel):
    """One Chatwoot account and API-channel inbox that a tenant's agents work in."""

    base_url: str = Field(min_length=1)
    """e.g. `https://app.chatwoot.com` (no trailing `/api`)."""
    account_id: int = Field(ge=1)
    api_token: SecretStr
    """A user access token (Profile settings -> Access Token), ideally of an integration
    user: an Agent Bot token cannot create contacts."""
    inbox_id: int | None = Field(default=None, ge=1)
    """The API-channel inbox; None: the tenant profile's `handoff.chatwoot_inbox_id`."""
    webhook_secret: SecretStr | None = None
    """The webhook's signing secret (`X-Chatwoot-Signature`), where the instance signs."""
    webhook_token: SecretStr | None = None
    """A secret path segment: `/webhooks/chatwoot/{tenant}/{token}` (unsigned instances)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Environment = Field(default="development", alias="CONVO_ENV")
    """`development` allows the default secrets; `production` refuses them."""

    redis_url: str | None = Field(default=None, repr=False)  # may hold a password
    """Redis 8 / Redis Stack (RedisJSON + RediSearch). Unset: start the embedded Redis.
    Also takes a `redis+sentinel://h1:p1,h2:p2/master/db` address (`server.redis_connect`)."""
    redis_sentinels: str | None = None
    """`host:port,host:port` of Redis Sentinels: the Redis is the primary they elect for
    `REDIS_SENTINEL_MASTER` (instead of REDIS_URL), followed across failovers."""
    redis_sentinel_master: str | None = None
    """The master name the sentinels monitor (`sentinel monitor <name> ...`)."""
    redis_sentinel_password: SecretStr | None = Field(default=None, repr=False)
    """The password of the Redis servers behind the sentinels, if they require one."""
    redis_session_urls: str | None = Field(default=None, repr=False)
    """Client-side shards for sessions: Redis addresses separated by commas or spaces (each
    a `redis://` URL or a `redis+sentinel://` address). Unset: sessions live on the main
    Redis. The job queue and the rate limits always stay on the main Redis."""
    redis_session_urls_previous: str | None = Field(default=None, repr=False)
    """After changing REDIS_SESSION_URLS: the list it had before (in its order; the main
    Redis' address if sessions were not sharded). A session not found on its shard is moved
    from the one it hashed to under this list on its next turn (`server.reshard`). Keep it
    for 24 h (sessions untouched that long expire), then unset it."""
    redis_commit_replicas: int = Field(default=0, ge=0)
    """A turn's commit counts only once this many replicas have it (`WAIT`); a commit
    that does not reach them in `REDIS_COMMIT_WAIT_MS` is retried. Use 1 with a replica."""
    redis_commit_wait_ms: int = Field(default=2000, ge=1)

    data_dir: str = Field(default=".data", alias="CONVO_DATA_DIR")
    """Folder for the embedded Redis' AOF files and the default SQLite database."""

    model_cache_dir: str | None = Field(default=None, alias="CONVO_MODEL_CACHE")
    """Folder for the offline router's cached training-set embeddings. Unset:
    `.data/cache/router` in the checkout. Read-only: the router works, recomputing them."""

    database_url: str | None = Field(default=None, repr=False)  # may hold a password
    """SQLAlchemy async URL. Unset: SQLite at `{data_dir}/convo.db`."""

    sqlite_synchronous: Literal["off", "normal", "full", "extra"] = "normal"
    """SQLite's `PRAGMA synchronous` (WAL mode). `normal`: nothing acknowledged is lost when
    the process dies; an OS crash or power loss can lose the last commits. `full`: commits
    survive power loss too, at one disk sync per commit. PostgreSQL ignores it."""

    enable_orchestration: bool = False
    """Run a turn of the conversation graph for each inbound text/button/interactive message."""

    worker_max_jobs: int = Field(default=10, ge=1)
    """Jobs one worker process runs at once (arq `max_jobs`). A turn mostly waits (on the
    LLM, the store, the Graph API); measure before raising it: `benchmarks.worker_llm`
    compares values with a 0.5 s LLM on your machine. `convo worker --concurrency N`
    overrides it for that process."""

    worker_shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    """On SIGTERM (or SIGINT/SIGHUP) a worker stops taking jobs and lets the running ones
    finish for up to this long; those still running then are handed back to the queue
    (another worker runs them at once) and the process exits 0. 0: hand back at once.
    Keep it below the service manager's kill timeout (systemd `TimeoutStopSec`, 90 s;
    Kubernetes `terminationGracePeriodSeconds`, 30 s; `docker stop -t`, 10 s)."""

    session_versions_kept: int = Field(default=1, ge=1)
    """Checkpoints kept per conversation (the current one and older ones for
    `convo inspect session --diff`); each costs about the session's size in Redis."""

    whatsapp_app_secret: SecretStr = SecretStr(DEFAULT_APP_SECRET)
    whatsapp_verify_token: SecretStr = SecretStr(DEFAULT_VERIFY_TOKEN)
    whatsapp_access_token: SecretStr | None = None
    """Unset: replies are logged and kept in the outbox, not sent."""
    whatsapp_api_version: str = "v21.0"
    whatsapp_api_base_url: str = "https://graph.facebook.com"
    whatsapp_max_request_bytes: int = 3 * 1024 * 1024
    whatsapp_messages_per_second: float = Field(default=80.0, gt=0)
    """Messages per second per business number, shared by all workers (Meta's default: 80)."""
    whatsapp_pair_interval_seconds: float = Field(default=6.0, gt=0)
    """Steady pace to one user: one message per this many seconds (Meta's pair rate limit)."""
    whatsapp_pair_burst: int = Field(default=5, ge=1)
    """Messages to one user allowed back to back before the steady pace applies."""
    whatsapp_send_max_attempts: int = Field(default=5, ge=1)
    """Graph API attempts per outbound message before a retryable error becomes final."""
    whatsapp_send_max_wait_seconds: float = Field(default=2.0, ge=0)
    """How long a send job waits for the rate limiter before deferring itself."""
    whatsapp_reengagement_template: str | None = None
    """Template sent when a reply fails with 131047 (24 h window closed). Unset: none."""
    whatsapp_reengagement_template_language: str = "en_US"
    whatsapp_reengagement_templates: dict[str, TemplateSetting] = {}
    """Per business number (phone_number_id) override, as JSON:
    `{"100200300400500": {"name": "reengage", "language": "pt_BR"}}`."""

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    router_model: str = "gpt-4o-mini"
    router_mode: RouterMode | None = None
    """Unset: `hybrid` when an LLM is configured (key or base URL), else `offline`."""
    llm_timeout_seconds: float = Field(default=10.0, gt=0)
    """Total deadline of one LLM call (connect and every read); past it the offline
    understanding answers."""

    stripe_secret_key: SecretStr | None = None
    """Stripe API key (`sk_live_...` / `sk_test_...`). Unset: no card payment links."""
    stripe_webhook_secret: SecretStr | None = None
    """The signing secret (`whsec_...`) of the webhook endpoint `/payments/stripe/webhook`."""
    stripe_api_base_url: str = "https://api.stripe.com"
    """Point at `convo fake-provider` to try payments without an account."""
    stripe_accounts: dict[str, StripeAccount] = Field(default_factory=dict, repr=False)
    """Per tenant (profile id) override, as JSON: `{"shop": {"secret_key": "sk_...",
    "webhook_secret": "whsec_..."}}`; its webhook is `/payments/stripe/webhook/shop`."""
    payment_return_url: str = "https://wa.me/"
    """Where the payment page sends the customer afterwards (back to WhatsApp)."""

    tenants_dir: str | None = Field(default=None, alias="CONVO_TENANTS_DIR")
    """Folder of tenant YAML profiles. Unset: the demo tenants shipped with the package."""

    handoff_webhook_url: str | None = None
    """Where to POST the signed `handoff.requested` event (a tenant's profile may override)."""
    handoff_webhook_secret: SecretStr | None = None
    """The HMAC key of that webhook (required when a URL is set)."""

    chatwoot_base_url: str | None = None
    """Chatwoot instance for every tenant (a tenant in CHATWOOT_ACCOUNTS overrides it).
    Unset (and no CHATWOOT_ACCOUNTS): the Chatwoot bridge is off."""
    chatwoot_account_id: int | None = None
    chatwoot_api_token: SecretStr | None = None
    chatwoot_inbox_id: int | None = None
    """The default API-channel inbox (a tenant profile's `handoff.chatwoot_inbox_id` wins)."""
    chatwoot_webhook_secret: SecretStr | None = None
    chatwoot_webhook_token: SecretStr | None = None
    chatwoot_accounts: dict[str, ChatwootAccount] = Field(default_factory=dict, repr=False)
    """Per tenant (profile `tenant_id`), as JSON: `{"demo": {"base_url": "...",
    "account_id": 1, "api_token": "...", "inbox_id": 3, "webhook_token": "..."}}`."""

    database_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    """How long opening a connection to PostgreSQL (or getting one from the pool) may take."""
    database_statement_timeout_seconds: float = Field(default=5.0, gt=0)
    """How long one statement may run (PostgreSQL `statement_timeout` and the client's
    `command_timeout`): a hung database gives an error (webhook: 503) instead of a hang."""

    api_docs: bool | None = None
    """`/docs`, `/redoc` and `/openapi.json`. Unset: on, except in production."""
    dev_token: SecretStr | None = Field(default=None, alias="CONVO_DEV_TOKEN", repr=False)
    """The token `/dev/outbox` (development only) requires. Unset: a random one per start,
    printed and written to `{data_dir}/dev-token` for `convo chat`."""

    log_level: str = "INFO"
    """One of `LOG_LEVELS`, any case."""

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise SettingsError(
                f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}."
            )
        return level

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or bool(self.openai_base_url)

    @property
    def effective_router_mode(self) -> RouterMode:
        if self.router_mode is not None:
            return self.router_mode
        return "hybrid" if self.llm_configured else "offline"

    @property
    def sending_enabled(self) -> bool:
        token = self.whatsapp_access_token
        return token is not None and bool(token.get_secret_value())

    @property
    def api_docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    @property
    def main_redis_url(self) -> str | None:
        """The main Redis (queue, rate limits, default session store): a Sentinel address
        when `REDIS_SENTINELS` is set, else `REDIS_URL` (None: the embedded Redis)."""
        if not self.redis_sentinels:
            return self.redis_url
        from server.redis_connect import parse_host_ports, sentinel_url

        password = self.redis_sentinel_password
        url = sentinel_url(parse_host_ports(self.redis_sentinels), self.redis_sentinel_master or "")
        if password is not None:
            url = url.replace("://", f"://:{quote(password.get_secret_value(), safe='')}@", 1)
        return url

    @property
    def session_redis_urls(self) -> list[str]:
        """The session shards' addresses (empty: sessions on the main Redis)."""
        from server.redis_connect import split_urls

        return split_urls(self.redis_session_urls) if self.redis_session_urls else []

    @property
    def session_redis_urls_previous(self) -> list[str]:
        """The shard list before the last change (empty: no sessions to move)."""
        from server.redis_connect import split_urls

        previous = self.redis_session_urls_previous
        return split_urls(previous) if previous else []

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir}/convo.db"

    @model_validator(mode="after")
    def _refuse_default_secrets_outside_development(self) -> Settings:
        if self.environment == "production":
            secret = self.whatsapp_app_secret.get_secret_value()
            if not secret or secret == DEFAULT_APP_SECRET:
                raise SettingsError(
                    "WHATSAPP_APP_SECRET is missing or still the development default; "
                    "set it to your Meta app secret (App Dashboard -> Basic settings) "
                    "or run with CONVO_ENV=development."
                )
            if len(secret) < MIN_APP_SECRET_LENGTH:
                raise SettingsError(
                    f"WHATSAPP_APP_SECRET is {len(secret)} characters; Meta's app secrets are "
                    f"{MIN_APP_SECRET_LENGTH} (App Dashboard -> Basic settings): a shorter one "
                    "is a placeholder or a typo, and a weak key for the webhook's signature."
                )
            token = self.whatsapp_verify_token.get_secret_value()
            if not token or token == DEFAULT_VERIFY_TOKEN:
                raise SettingsError(
                    "WHATSAPP_VERIFY_TOKEN is missing or still the development default; "
                    "choose a random string and enter the same one in Meta's webhook settings."
                )
            if len(token) < MIN_VERIFY_TOKEN_LENGTH:
                raise SettingsError(
                    f"WHATSAPP_VERIFY_TOKEN is {len(token)} characters; use a random string "
                    f"of at least {MIN_VERIFY_TOKEN_LENGTH}."
                )
            if not self.main_redis_url:
                raise SettingsError(
                    "REDIS_URL (or REDIS_SENTINELS) is required in production: the embedded "
                    "Redis is for development (each process would start its own). Point it at "
                    "a Redis 8 or Redis Stack server with the JSON and search modules."
                )
        if self.handoff_webhook_url and not self.handoff_webhook_secret:
            raise SettingsError(
                "HANDOFF_WEBHOOK_URL is set without HANDOFF_WEBHOOK_SECRET: the agents' "
                "webhook is always signed; set a long random secret and give it to the receiver."
            )
        self._redis_topology_is_complete()
        if self.router_mode == "llm" and not self.llm_configured:
            raise SettingsError("ROUTER_MODE=llm needs OPENAI_API_KEY or OPENAI_BASE_URL.")
        return self

    def _redis_topology_is_complete(self) -> None:
        from server.redis_connect import RedisAddressError, parse_host_ports

        if bool(self.redis_sentinels) != bool(self.redis_sentinel_master):
            raise SettingsError(
                "REDIS_SENTINELS and REDIS_SENTINEL_MASTER go together: the sentinels' "
                "host:port list and the master name they monitor."
            )
        if self.redis_sentinels and self.redis_url:
            raise SettingsError(
                "REDIS_URL and REDIS_SENTINELS are both set: use one (the sentinels find the "
                "primary; REDIS_URL may also be a redis+sentinel:// address)."
            )
        try:
            if self.redis_sentinels:
                parse_host_ports(self.redis_sentinels)
            for url in [*self.session_redis_urls, *self.session_redis_urls_previous]:
                if not url.startswith(("redis://", "rediss://", "redis+sentinel://", "unix://")):
                    raise RedisAddressError(f"{url!r} is not a redis:// or redis+sentinel:// URL")
        except RedisAddressError as exc:
            raise SettingsError(f"REDIS_SENTINELS / REDIS_SESSION_URLS(_PREVIOUS): {exc}") from None

    def chatwoot_account(self, tenant: str) -> ChatwootAccount | None:
        """The Chatwoot account of `tenant`: its own, else the CHATWOOT_* one, else None."""
        if tenant in self.chatwoot_accounts:
            return self.chatwoot_accounts[tenant]
        if self.chatwoot_base_url is None:
            return None
        assert self.chatwoot_account_id is not None and self.chatwoot_api_token is not None
        return ChatwootAccount(
            base_url=self.chatwoot_base_url,
            account_id=self.chatwoot_account_id,
            api_token=self.chatwoot_api_token,
            inbox_id=self.chatwoot_inbox_id,
            webhook_secret=self.chatwoot_webhook_secret,
            webhook_token=self.chatwoot_webhook_token,
        )

    @model_validator(mode="after")
    def _chatwoot_is_complete(self) -> Settings:
        if self.chatwoot_base_url is not None and (
            self.chatwoot_account_id is None or self.chatwoot_api_token is None
        ):
            raise SettingsError(
                "CHATWOOT_BASE_URL is set without CHATWOOT_ACCOUNT_ID and CHATWOOT_API_TOKEN "
                "(a user access token from Chatwoot's Profile settings)."
            )
        flat = None
        if self.chatwoot_base_url is not None:
            flat = self.chatwoot_account("")
        for name, account in [("", flat), *self.chatwoot_accounts.items()]:
            if account is not None and not (account.webhook_secret or account.webhook_token):
                where = f"CHATWOOT_ACCOUNTS[{name}]" if name else "CHATWOOT_*"
                raise SettingsError(
                    f"{where}: set a webhook secret (webhook_secret / CHATWOOT_WEBHOOK_SECRET) "
                    "or a URL token (webhook_token / CHATWOOT_WEBHOOK_TOKEN): Chatwoot's "
                    "webhooks must be authenticated before they can speak to customers."
                )
        return self

    @model_validator(mode="after")
    def _stripe_key_needs_its_webhook_secret(self) -> Settings:
        if self.stripe_secret_key is not None and self.stripe_webhook_secret is None:
            raise SettingsError(
                "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: payments could "
                "never be confirmed. Add the signing secret of the webhook endpoint "
                "(Stripe Dashboard -> Developers -> Webhooks)."
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, validated on first use (call `cache_clear()` in tests)."""
    return Settings()
