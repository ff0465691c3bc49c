"""`convo`: the command line. `convo serve` for development, `convo worker` for production."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from pydantic import ValidationError

from evals.cli import add_eval_parser  # light: argparse only; the eval itself loads lazily
from server.logging import configure_logging, get_logger
from server.settings import describe_settings_error, get_settings

log = get_logger("convo")


async def _serve(host: str, port: int) -> None:
    import uvicorn

    from server.app import create_app
    from server.resources import redis_server

    settings = get_settings()
    async with redis_server(settings) as redis_url:
        app = create_app(redis_url=redis_url, run_worker=True)
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
        server = uvicorn.Server(config)
        print(f"convo listening on http://{host}:{port}  (health: http://{host}:{port}/healthz)")
        sys.stdout.flush()
        await server.serve()


async def _worker() -> None:
    from server.resources import open_resources
    from server.worker import build_worker

    async with open_resources(get_settings()) as resources:
        worker = build_worker(resources, handle_signals=False)
        log.info("worker.started", functions=len(worker.functions))
        try:
            await worker.async_run()
        finally:
            await worker.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="web app + in-process worker (development)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    commands.add_parser("worker", help="the job worker alone (production)")
    add_eval_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"convo: configuration error:\n{describe_settings_error(exc)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        if args.command == "serve":
            asyncio.run(_serve(args.host, args.port))
        elif args.command == "worker":
            asyncio.run(_worker())
        elif args.command == "eval":
            from evals.cli import run_eval

            return run_eval(args, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
