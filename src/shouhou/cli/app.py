"""The `shouhou` command: Typer app, logging set-up and error → exit-code mapping."""

from __future__ import annotations

import logging
import sys
from typing import Final

import typer

from shouhou.cli import audit as audit_cmd
from shouhou.cli import bench as bench_cmd
from shouhou.cli import claims as claims_cmd
from shouhou.cli import demo as demo_cmd
from shouhou.cli import inspect as inspect_cmd
from shouhou.cli import keys as keys_cmd
from shouhou.cli import places as places_cmd
from shouhou.cli import repairs as repairs_cmd
from shouhou.cli import serve as serve_cmd
from shouhou.cli import users as users_cmd
from shouhou.errors import AuditTampered, ConfigError, DependencyUnavailable, InputError, ShouhouError

EXIT_OK: Final = 0
EXIT_INTERNAL: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_DEPENDENCY: Final = 3
EXIT_TAMPERED: Final = 4

app = typer.Typer(
    name="shouhou",
    no_args_is_help=True,
    add_completion=False,
    help="shouhou (售后): refund-claim evidence screening and after-sales service.",
)
app.command("inspect")(inspect_cmd.inspect)
app.command("demo")(demo_cmd.demo)
app.command("serve")(serve_cmd.serve)
app.add_typer(bench_cmd.app, name="bench")
app.add_typer(users_cmd.app, name="users")
app.add_typer(claims_cmd.app, name="claims")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(places_cmd.app, name="places")
app.add_typer(repairs_cmd.app, name="repairs")


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, InputError):
        return EXIT_BAD_INPUT
    if isinstance(exc, DependencyUnavailable | ImportError):
        return EXIT_DEPENDENCY
    if isinstance(exc, ConfigError):
        return EXIT_BAD_INPUT
    if isinstance(exc, AuditTampered):
        return EXIT_TAMPERED
    return EXIT_INTERNAL


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        rv = app(standalone_mode=False)
        if isinstance(rv, int):
            sys.exit(rv)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except ShouhouError as exc:
        typer.echo(f"shouhou: {exc}", err=True)
        sys.exit(exit_code_for(exc))
    except ImportError as exc:
        typer.echo(f"shouhou: a dependency is unavailable: {exc}", err=True)
        sys.exit(EXIT_DEPENDENCY)
    except Exception as exc:
        # Typer vendors click (typer._click) in recent releases, so usage errors are matched by shape.
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            sys.exit(EXIT_BAD_INPUT)
        logging.getLogger("shouhou").exception("internal error")
        sys.exit(EXIT_INTERNAL)
