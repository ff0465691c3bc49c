"""`convo`: the command line. `convo serve` for development, `convo worker` for production."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from evals.cli import add_eval_parser  # light: argparse only; the eval itself loads lazily
from server.logging import configure_logging, get_logger
from server.settings import Settings, exit_on_settings_error, get_settings

log = get_logger("convo")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, a service manager's stop, and the terminal closing: each stops the service
cleanly, the embedded Redis included."""


class StartError(RuntimeError):
    """The service cannot start; the message says why and what to do (no traceback)."""


def _uvicorn_server(config: Any) -> Any:
    """A uvicorn server that stops on `STOP_SIGNALS` without re-raising the signal after
    shutdown (uvicorn's default), which would kill the process before the embedded Redis
    is stopped."""
    import uvicorn

    class GracefulServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            original = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return GracefulServer(config)


def bind_port(host: str, port: int) -> socket.socket:
    """Take the port before anything else starts, so a port in use stops the start at once
    (not after Redis and the router have started). uvicorn serves on this socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Another program (or "
            f"another convo) uses the port: stop it, or choose another port with --port "
            f"(make run: PORT=8001 make run)."
        ) from None
    sock.set_inheritable(True)
    return sock


async def _serve(host: str, port: int) -> None:
    import uvicorn

    from server.app import create_app
    from server.resources import redis_server

    settings = get_settings()
    url = f"http://{host}:{port}"
    sock = bind_port(host, port)
    try:
        async with redis_server(settings, owner=url) as redis_url:
            app = create_app(redis_url=redis_url, run_worker=True, public_url=url)
            config = uvicorn.Config(app, log_config=None, access_log=False)
            server = _uvicorn_server(config)
            print(f"convo listening on {url}  (ready: {url}/readyz)")
            sys.stdout.flush()
            await server.serve(sockets=[sock])
    finally:
        sock.close()


async def _worker(settings: Settings) -> None:
    from server.resources import open_resources
    from server.worker import WorkerSupervisor

    async with open_resources(settings) as resources:
        # SIGINT/SIGTERM, and the terminal closing (SIGHUP), stop taking jobs, let the
        # running ones finish for WORKER_SHUTDOWN_GRACE_SECONDS and hand back the rest;
        # the supervisor restarts a worker that died (Redis away) with a backoff.
        supervisor = WorkerSupervisor(resources, handle_signals=True, stop_on_sighup=True)
        log.info(
            "worker.started",
            concurrency=settings.worker_max_jobs,
            shutdown_grace_s=settings.worker_shutdown_grace_seconds,
        )
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor.run()
        log.info("worker.exited")


def concurrency(value: str) -> int:
    """`--concurrency`: a whole number of jobs, at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(
            f"must be 1 or more (jobs this worker runs at once), got {number}"
        )
    return number


async def _migrate(settings: Settings) -> int:
    from server.store import migrate
    from server.store.db import head_revisions

    await migrate(settings.sqlalchemy_url)
    revision = ", ".join(sorted(head_revisions()))
    print(f"database schema at revision {revision} ({settings.sqlalchemy_url.split(':')[0]})")
    return 0


async def _retry_failed(settings: Settings) -> int:
    from server.jobs import job_queue
    from server.jobs.process import retry_failed
    from server.resources import open_resources

    async with open_resources(settings) as resources:
        count = await retry_failed(resources, job_queue(resources.redis))
    print(f"re-enqueued {count} failed turn(s); a running `convo worker` answers them")
    return 0


def run_async(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when installed (a faster event loop for the webhook and the jobs)."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    with contextlib.suppress(ImportError):  # uvloop does not build on Windows
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(coroutine)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="web app + in-process worker (development)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    worker = commands.add_parser("worker", help="the job worker alone (production)")
    worker.add_argument(
        "--concurrency",
        type=concurrency,
        default=None,
        metavar="N",
        help="jobs this process runs at once (default: WORKER_MAX_JOBS, 10)",
    )
    commands.add_parser(
        "migrate", help="bring the database to this version's schema (before an upgrade)"
    )
    commands.add_parser(
        "retry-failed", help="run every turn marked turn_failed again (after a fix)"
    )
    add_agent_parser(commands)
    add_eval_parser(commands)
    add_chat_parser(commands)
    from server.inspect_cli import add_inspect_parser
    from server.replay import add_replay_parser

    add_replay_parser(commands)
    add_inspect_parser(commands)
    from server.commerce.cli import add_commerce_parsers

    add_commerce_parsers(commands)
    return parser


def add_chat_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from server.chat_payloads import DEFAULT_WA_ID

    chat = commands.add_parser("chat", help="talk to the running service as a WhatsApp user")
    chat.add_argument("--url", default="http://127.0.0.1:8000", help="where `convo serve` runs")
    chat.add_argument("--wa-id", default=DEFAULT_WA_ID, help="your WhatsApp id (a phone number)")
    chat.add_argument("--name", default="Chat Tester", help="your WhatsApp profile name")
    chat.add_argument(
        "--say", action="append", help="say this, print the replies and exit (repeatable)"
    )
    chat.add_argument(
        "--burst",
        action="store_true",
        help="send all --say lines at once, as a burst of messages, then print the replies",
    )
    chat.add_argument("--timeout", type=float, default=60.0, help="seconds to wait per answer")
    chat.add_argument(
        "--listen",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="after --say, print what arrives (a person's replies) for this long, "
        "or until the chat is back with the bot",
    )


def add_agent_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    agent = commands.add_parser("agent", help="people who answer chats: tokens for the inbox")
    verbs = agent.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="create an agent (or renew its token); prints the token")
    add.add_argument("--tenant", required=True, help="tenant_id of the business profile")
    add.add_argument("--handle", required=True, help="a short unique name, e.g. ana")
    add.add_argument("--name", required=True, help="shown to customers: 'Ana joined the chat'")
    add.add_argument("--days", type=int, default=None, help="token lifetime (default: none)")
    revoke = verbs.add_parser("revoke", help="stop an agent's token from working")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("--handle", required=True)


async def _agent(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from server.agents.tokens import issue, revoke
    from server.store import create_engine, migrate, session_factory

    await migrate(settings.sqlalchemy_url)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with session_factory(engine).begin() as session:
            if args.verb == "add":
                days = timedelta(days=args.days) if args.days else None
                issued = await issue(
                    session,
                    tenant=args.tenant,
                    handle=args.handle,
                    display_name=args.name,
                    valid_for=days,
                )
                print(f"token for {args.name} ({args.tenant}/{args.handle}), shown once:")
                print(issued.token)
                return 0
            if await revoke(session, tenant=args.tenant, handle=args.handle):
                print(f"revoked {args.tenant}/{args.handle}")
                return 0
            print(f"no agent {args.tenant}/{args.handle}", file=sys.stderr)
            return 1
    finally:
        await engine.dispose()


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from server.chat import chat
    from server.chat_payloads import ChatUser

    user = ChatUser(wa_id=args.wa_id, name=args.name)
    secret = settings.whatsapp_app_secret.get_secret_value()
    from server.dev import read_dev_token

    return asyncio.run(
        chat(
            args.url,
            app_secret=secret,
            user=user,
            say=args.say,
            timeout_s=args.timeout,
            dev_token=read_dev_token(settings),
            listen_s=args.listen,
            together=args.burst,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = exit_on_settings_error()
    configure_logging(settings.log_level)
    try:
        return _run(args, settings)
    except _start_errors() as exc:  # evaluated only when something is raised
        print(f"convo: {exc}", file=sys.stderr)
        return 1


def _start_errors() -> tuple[type[Exception], ...]:
    """Errors whose message says what to do: printed as one message, without a traceback.
    (Imported here: `redis` is slow to import and most commands never need it.)"""
    from server.embedded_redis import EmbeddedRedisError
    from server.instance_lock import InstanceLockedError
    from server.redis_modules import RedisModulesMissing

    return (StartError, InstanceLockedError, EmbeddedRedisError, RedisModulesMissing)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        if args.command == "serve":
            run_async(_serve(args.host, args.port))
        elif args.command == "worker":
            if args.concurrency is not None:
                settings = settings.model_copy(update={"worker_max_jobs": args.concurrency})
            run_async(_worker(settings))
        elif args.command == "migrate":
            return asyncio.run(_migrate(settings))
        elif args.command == "retry-failed":
            return asyncio.run(_retry_failed(settings))
        elif args.command == "chat":
            return _chat(args, settings)
        elif args.command == "agent":
            return asyncio.run(_agent(args, settings))
        elif args.command in {"catalog", "admin", "fake-provider"}:
            from server.commerce.cli import run_commerce_command

            return run_commerce_command(args, settings)
        elif args.command == "inspect":
            from server.inspect_cli import run_inspect

            return run_inspect(args, settings)
        elif args.command == "replay":
            from server.replay import run_replay

            return run_replay(args, settings)
        elif args.command == "eval":
            from evals.cli import run_eval

            return run_eval(args, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
