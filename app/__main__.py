"""Command line: `python -m app [run]` serves the web app; other subcommands manage data.

    python -m app [--host H] [--port P] [--data-dir D] [--demo]
                  [--certfile CERT --keyfile KEY] [--allow-plain-http]
    python -m app seed-demo            fill an empty store with the demo clinic
    python -m app backup [--out FILE]  the whole store in one file
    python -m app restore FILE         put a backup back (existing data is moved aside)
    python -m app export --patient EMAIL --format json|html|fhir --out FILE
    python -m app import [--format json|fhir] FILE   load a patient export back
    python -m app set-password EMAIL   a new password (asked for, or one line on stdin)
    python -m app add-account EMAIL --name NAME --role ROLE [--timezone TZ]
                                       a new account (password as for set-password)
    python -m app reset-two-step EMAIL  clear an account's two-step sign-in (a lost phone)
    python -m app assess [--file F]    triage one symptom report (JSON on stdin)
    python -m app reminders run-due    deliver the reminders that are due (for cron)
    python -m app migrate-store --to postgresql://... | --from postgresql://...
                                       copy the data folder's records into an empty
                                       database, or a database's into an empty folder
Every subcommand takes --database-url postgresql://... (or BACKTRACK_DATABASE_URL): the
records then live in that PostgreSQL database instead of the data folder.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from app import paths
from app import settings as settings_module
from app.domain.accounts import Role
from app.domain.errors import DomainError
from app.settings import Settings
from app.store.interfaces import StoreError

COMMANDS = ("run", "seed-demo", "backup", "restore", "export", "import", "set-password",
            "add-account", "assess", "reminders", "reset-two-step", "migrate-store")


def _port(text: str) -> int:
    """A TCP port number (a bigger one made the server fail with OverflowError)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text!r}")
    return port


def _database_url(text: str) -> str:
    try:
        return settings_module.database_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS (both): given before the subcommand, the subcommand's own (absent) copy must
    # not reset it to None, which would quietly open the default data folder (or the data
    # folder instead of the database).
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="data folder (default: storage/)")
    common.add_argument("--database-url", type=_database_url, metavar="postgresql://...",
                        default=argparse.SUPPRESS,
                        help="keep the records in this PostgreSQL database instead of the "
                             "data folder (also BACKTRACK_DATABASE_URL); several app "
                             "servers can share one")
    parser = argparse.ArgumentParser(prog="python -m app", description="BackTrack",
                                     parents=[common])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", parents=[common], help="serve the app (default)")
    for target in (parser, run):
        target.add_argument("--host", help="address to listen on (default 127.0.0.1)")
        target.add_argument("--port", type=_port, help="port (default 8550)")
        target.add_argument("--demo", action="store_true",
                            help="fill an empty store with the demo clinic first")
        target.add_argument("--no-browser", action="store_true", help="don't open a browser")
        target.add_argument("--certfile", type=Path,
                            help="serve HTTPS with this certificate (PEM, with its chain)")
        target.add_argument("--keyfile", type=Path,
                            help="the certificate's private key (PEM, unencrypted)")
        target.add_argument("--allow-plain-http", action="store_true",
                            help="serve plain HTTP on an address other than loopback anyway")
    sub.add_parser("seed-demo", parents=[common], help="create the demo clinic")
    backup = sub.add_parser("backup", parents=[common], help="back up the whole store")
    backup.add_argument("--out", type=Path)
    restore = sub.add_parser("restore", parents=[common], help="restore a backup")
    restore.add_argument("file", type=Path)
    export = sub.add_parser("export", parents=[common], help="export one patient")
    export.add_argument("--patient", required=True, help="the patient's email")
    export.add_argument("--format", choices=("json", "html", "fhir"), default="json")
    export.add_argument("--out", type=Path, required=True)
    imp = sub.add_parser("import", parents=[common], help="import a patient export")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=("json", "fhir"), default="json",
                     help="a BackTrack JSON export (default) or a FHIR bundle it wrote")
    password = sub.add_parser("set-password", parents=[common],
                              help="set an account's password (imported accounts have none)")
    password.add_argument("email")
    add = sub.add_parser("add-account", parents=[common],
                         help="create an account (the clinic's first admin, staff, patients)")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--timezone", default="UTC", help="IANA time zone (default UTC)")
    reset = sub.add_parser("reset-two-step", parents=[common],
                           help="clear an account's two-step sign-in (e.g. the only admin's "
                                "lost phone); staff set it up again at their next sign-in")
    reset.add_argument("email")
    migrate = sub.add_parser("migrate-store", parents=[common],
                             help="copy the records between the data folder and a "
                                  "PostgreSQL database (the target must be empty)")
    direction = migrate.add_mutually_exclusive_group(required=True)
    direction.add_argument("--to", type=_database_url, metavar="postgresql://...",
                           help="from the data folder into this empty database")
    direction.add_argument("--from", dest="from_url", type=_database_url,
                           metavar="postgresql://...",
                           help="from this database into the empty data folder")
    return parser


def main(argv: list[str]) -> int:
    if argv[:1] == ["assess"]:
        from app.commands.assess import run as assess

        return assess(argv[1:])
    if argv[:1] == ["reminders"]:
        from app.commands.reminders import run as reminders

        return reminders(argv[1:])
    args = _parser().parse_args(argv)
    try:
        settings = settings_module.from_environment().with_overrides(
            data_dir=getattr(args, "data_dir", None),
            database_url=getattr(args, "database_url", None),
            host=getattr(args, "host", None),
            port=getattr(args, "port", None), certfile=getattr(args, "certfile", None),
            keyfile=getattr(args, "keyfile", None),
            allow_plain_http=getattr(args, "allow_plain_http", False) or None)
    except ValueError as exc:  # a setting from the environment that makes no sense
        return _fail(str(exc), 2)
    if getattr(args, "no_browser", False):
        settings = settings.with_overrides(open_browser=False)
    if (args.command or "run") == "run":
        refused = _refuse_unsafe_listening(settings)
        if refused is not None:
            return _fail(refused, 2)
    # Every failure a user can cause or meet is one line on stderr, never a traceback:
    # 2 = what was asked is refused (bad input), 1 = the data folder or the disk failed.
    try:
        return _dispatch(args, settings)
    except StoreError as exc:
        return _fail(str(exc), 1)
    except DomainError as exc:
        return _fail(str(exc), 2)
    except OSError as exc:  # e.g. a full disk, a folder that cannot be written
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{where}.", 1)
    except (KeyboardInterrupt, EOFError):  # Ctrl-C, or Ctrl-D at the password prompt
        return _fail("Stopped.", 130)


def _refuse_unsafe_listening(settings: Settings) -> str | None:
    """Why the server must not start (a certificate or key that cannot serve HTTPS, or
    plain HTTP beyond loopback without --allow-plain-http), or None; checked before the
    store is opened. Allowed plain HTTP beyond loopback is warned about on every start."""
    if settings.tls:
        from app.ui.server import tls_problem

        return tls_problem(settings.certfile, settings.keyfile)
    exposure = settings.plain_http_exposure()
    if exposure is None:
        return None
    if not settings.allow_plain_http:
        return exposure
    print(f"BackTrack: warning: serving plain HTTP on {settings.host} (--allow-plain-http): "
          f"passwords and health data cross the network unencrypted unless a proxy on "
          f"the way adds HTTPS.", file=sys.stderr, flush=True)
    return None


def _fail(message: str, code: int) -> int:
    print(f"BackTrack: {' '.join(message.split())}", file=sys.stderr)
    return code


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from app.main import build_services, seed_demo_if_empty

    command = args.command or "run"
    if command == "migrate-store":
        from app.commands import migrate_store

        print(migrate_store.to_database(settings, args.to) if args.to
              else migrate_store.from_database(settings, args.from_url))
        return 0
    if command in ("backup", "restore") and settings.database_url:
        return _database_backup(args, settings, settings.database_url)
    if command == "restore":
        from app.store.backup import restore

        print(restore(args.file, paths.store_dir(settings.data_dir)))  # says where old data is
        return 0
    if command == "backup":
        from app.store.backup import backup

        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out = args.out or paths.backups_dir(settings.data_dir) / f"backtrack-{stamp}.zip"
        written = backup(paths.store_dir(settings.data_dir), out)
        print(f"Backup written to {written}")
        return 0
    export = None
    if command == "import":
        from app.commands.import_file import naming_the_file, read_import_file

        with naming_the_file(args.file):
            export = read_import_file(args.file, args.format)  # before the store is opened
    services = build_services(settings)
    try:
        if command == "run":
            if args.demo and seed_demo_if_empty(services):
                print("Demo clinic created. Sign in as alex@example.com / backtrack-demo.")
            elif services.first_run.needed():  # the link is the proof of being here
                print(f"First run: this clinic has no accounts yet. To set it up, open "
                      f"{services.first_run.link(settings.public_url)} (shown only here). "
                      f"To try the demo instead: python -m app run --demo", flush=True)
            from app.main import background_jobs
            from app.ui.server import serve

            jobs = background_jobs(services)
            jobs.start()
            try:
                return serve(services.screens, jobs, host=settings.host, port=settings.port,
                             open_browser=settings.open_browser,
                             certfile=settings.certfile, keyfile=settings.keyfile)
            finally:
                jobs.stop()
        if command == "seed-demo":
            if not seed_demo_if_empty(services):
                print("The store already has accounts; the demo was not added.")
                return 1
            print("Demo clinic created. Accounts (password backtrack-demo): "
                  "alex@, blair@, casey@, taylor@, jordan@, admin@example.com")
            return 0
        if command == "export":
            from app.commands.export_file import export_format, write_export

            # The operator's export (actor None) through the one export door.
            exported = services.exports.export(None, args.patient, export_format(args.format))
            write_export(args.out, exported.content.decode("utf-8"))
            print(f"Exported {args.patient} to {args.out}")
            return 0
        if command == "import":
            from app.commands.import_file import left_out_line, run_import

            assert export is not None
            with naming_the_file(args.file):
                result = run_import(services.portability, export)
            email = result.email
            print(f"Imported {result.added} entries for {email}.")
            for kind, count in sorted(result.left_out.items()):
                print(left_out_line(kind, count))
            account = services.accounts.by_email(email)
            if account is not None and not account.password_hash:
                print(f"{email} has no password yet: python -m app set-password {email}")
            return 0
        if command == "add-account":
            made = services.accounts.create(args.email, args.name, _read_password(),
                                            Role(args.role), timezone=args.timezone)
            print(f"{made.role.label} account created for {made.email}.")
            return 0
        if command == "set-password":
            services.accounts.set_password(args.email, _read_password())
            print(f"Password set for {args.email}.")
            return 0
        if command == "reset-two-step":  # e.g. the clinic's only admin lost their phone
            cleared = services.two_step.reset_by_operator(args.email)
            print(f"Two-step sign-in cleared for {cleared.email}: set up again at the next "
                  f"sign-in where the clinic requires it.")
            return 0
        raise AssertionError(command)
    finally:
        services.close()


def _database_backup(args: argparse.Namespace, settings: Settings, url: str) -> int:
    """backup/restore with --database-url: the same file format as the data folder's; a
    restore goes into an empty database only (app/store/postgres/backup.py)."""
    from app.store.postgres import PostgresStore
    from app.store.postgres.backup import backup_database, restore_database

    with PostgresStore.open(url) as store:
        if args.command == "restore":
            print(restore_database(args.file, store))
            return 0
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out = args.out or paths.backups_dir(settings.data_dir) / f"backtrack-{stamp}.zip"
        print(f"Backup written to {backup_database(store, out)}")
        return 0


def _read_password() -> str:
    """Asked for twice without echo at a terminal; otherwise the first line of stdin."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("New password: ")
        if getpass.getpass("The same again: ") != first:
            from app.domain.errors import InvalidInput

            raise InvalidInput.one("password", "The two passwords differ. Nothing changed.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
