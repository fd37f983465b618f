"""``twofold-authenticator``: add accounts, show codes, answer sign-in notifications."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import queue
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import __version__, keys
from .client import (
    AccountRemoved,
    BadSignature,
    Challenge,
    ChallengeClosed,
    Client,
    ClientError,
    NetworkError,
    PinRequired,
    ProtocolError,
    RateLimited,
    ServerError,
)
from .links import ActivationLink, LinkError, TotpLink, decode_qr, parse_activation, parse_link
from .otp import code_at, make_totp
from .store import Account, Store, StoreError, find, new_id, resolve_folder

PROG = "twofold-authenticator"
MAX_WAIT_SECONDS = 25
PIN_ATTEMPTS = 3
SEND_ATTEMPTS = 3
BACKOFF_MAX_SECONDS = 60.0
# A poll that comes back empty this fast means the server does not hold it open: pause a
# little so the loop does not spin, short enough that a new notification still shows at once.
MIN_POLL_SECONDS = 0.5
_PIN = re.compile(r"[0-9]{4,}")
_NUMBER = re.compile(r"[0-9]{1,4}")

PURPOSES = {
    "sign-in": "Sign-in request",
    "step-up": "Extra verification request",
    "password-reset": "Password reset request",
    "activation-test": "Test notification (finishing set-up)",
}


class Abort(Exception):
    """The user gave no usable answer; the command stops with this message."""


Clock = Callable[[], float]


@dataclass
class Context:
    store: Store
    clock: Clock
    client_factory: Callable[[], Client]


# --- Talking to the user -------------------------------------------------------------------


def say(text: str = "") -> None:
    print(text, flush=True)


def warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def ask(prompt: str) -> str:
    """One line of input. Without a terminal, the prompt is flushed before the read."""
    if _interactive():
        try:
            return input(prompt).strip()
        except EOFError:
            raise Abort("no answer") from None
    print(prompt, end="", flush=True)
    line = sys.stdin.readline()
    # Nothing echoes a piped answer: end the prompt's line so the output stays line by line.
    print(flush=True)
    if not line:
        raise Abort("no answer (end of input)")
    return line.strip()


def ask_secret(prompt: str) -> str:
    if _interactive():
        try:
            return getpass.getpass(prompt).strip()
        except EOFError:
            raise Abort("no answer") from None
    return ask(prompt)


def ask_yes_no(prompt: str) -> bool:
    while True:
        answer = ask(prompt).lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False
        say("Please answer y or n.")


def ask_new_pin() -> str:
    for _ in range(PIN_ATTEMPTS):
        pin = ask_secret("New app PIN (at least 4 digits): ")
        if not _PIN.fullmatch(pin):
            say("The PIN must be at least 4 digits, and digits only.")
            continue
        if ask_secret("Type the PIN again: ") != pin:
            say("The two PINs differ.")
            continue
        return pin
    raise Abort("no PIN was set")


def unlock(account: Account, prompt: str) -> keys.PrivateKey | None:
    """The account's key, asking for its PIN when it has one; None after too many wrong PINs."""
    assert account.private_key_pem is not None
    if not account.pin_protected:
        return keys.load_pem(account.private_key_pem)
    for _ in range(PIN_ATTEMPTS):
        try:
            return keys.load_pem(account.private_key_pem, ask_secret(prompt))
        except (keys.WrongPin, keys.PinNeeded):
            say("Wrong PIN.")
    return None


# --- add -----------------------------------------------------------------------------------


def cmd_add(args: argparse.Namespace, context: Context) -> int:
    if args.url and not args.code:
        raise Abort("--url goes with --code")
    link: ActivationLink | TotpLink
    if args.qr:
        link = parse_link(decode_qr(args.qr))
    elif args.uri:
        link = parse_link(args.uri)
    else:
        if not args.url:
            raise Abort('--code needs --url (both are under "Can\'t scan the QR code?")')
        link = parse_activation(args.code, args.url)
    # A broken store must show up now, before the one-time activation code is spent.
    context.store.load()
    if isinstance(link, TotpLink):
        if args.pin or args.name or args.key_type:
            raise Abort("--pin, --name and --key-type apply to Twofold activation links only")
        return _add_totp(link, context)
    return _add_push(link, args, context)


def _add_totp(link: TotpLink, context: Context) -> int:
    with context.store.update() as accounts:
        for existing in accounts:
            if existing.totp_secret == link.secret and existing.account == link.account:
                raise Abort(f"{existing.label} is already added (id {existing.id})")
        account = Account(
            id=new_id(accounts),
            kind="totp",
            issuer=link.issuer,
            account=link.account,
            totp_secret=link.secret,
            totp_digits=link.digits,
            totp_period=link.period,
            totp_algorithm=link.algorithm,
        )
        accounts.append(account)
    say(f"Added {account.label}. See its verification codes with: {PROG} codes")
    return 0


def _add_push(link: ActivationLink, args: argparse.Namespace, context: Context) -> int:
    pin = ask_new_pin() if args.pin else None
    key = keys.generate(args.key_type or "ed25519")
    device_name = args.name or socket.gethostname()
    activation = context.client_factory().activate(link.url, link.code, key, device_name)
    if activation.require_pin and pin is None:
        say("Your organisation requires a PIN for this app.")
        try:
            pin = ask_new_pin()
        except Abort as error:
            raise Abort(
                f"{error}: the account was not added. Get a new code and add it again."
            ) from None
    with context.store.update() as accounts:
        account = Account(
            id=new_id(accounts),
            kind="push",
            issuer=activation.issuer,
            account=activation.account,
            totp_secret=activation.totp_secret,
            totp_digits=activation.totp_digits,
            totp_period=activation.totp_period,
            totp_algorithm=activation.totp_algorithm,
            device_id=activation.device_id,
            device_name=device_name,
            poll_url=activation.poll_url,
            respond_url=activation.respond_url,
            key_type=keys.key_type_of(key),
            private_key_pem=keys.to_pem(key, pin),
            require_pin=activation.require_pin,
        )
        accounts.append(account)
    say(f"Added {account.label}. Keep this running to approve the test notification: {PROG} listen")
    return 0


# --- codes, list, remove -------------------------------------------------------------------


def cmd_codes(args: argparse.Namespace, context: Context) -> int:
    accounts = context.store.load()
    if not accounts:
        say(f"No accounts yet. Add one with: {PROG} add --qr IMAGE")
        return 0
    now = context.clock()
    for account in accounts:
        totp = make_totp(
            account.totp_secret,
            account.totp_digits,
            account.totp_period,
            account.totp_algorithm,
        )
        code, left = code_at(totp, now)
        note = "  [removed by your organisation]" if account.removed else ""
        say(f"{account.id}  {code}  {left:>3}s left  {account.label}{note}")
    return 0


def cmd_list(args: argparse.Namespace, context: Context) -> int:
    accounts = context.store.load()
    if not accounts:
        say(f"No accounts yet. Add one with: {PROG} add --qr IMAGE")
        return 0
    say(f"{'ID':<6}{'KIND':<6}{'STATUS':<9}ACCOUNT")
    for account in accounts:
        status = "removed" if account.removed else "active"
        extra = ", app PIN" if account.pin_protected else ""
        say(f"{account.id:<6}{account.kind:<6}{status:<9}{account.label}{extra}")
    return 0


def cmd_remove(args: argparse.Namespace, context: Context) -> int:
    with context.store.update() as accounts:
        account = find(accounts, args.account)
        accounts.remove(account)
    say(f"Removed {account.label} from this computer.")
    if account.kind == "push" and not account.removed:
        say("Remove this app from your security info too, so it is no longer listed.")
    return 0


# --- listen --------------------------------------------------------------------------------


@dataclass
class Notification:
    account: Account
    challenges: list[Challenge]
    done: threading.Event


@dataclass
class Removed:
    account: Account


class Listener:
    """One long-polling thread per account; the main thread asks the user, one at a time."""

    def __init__(
        self,
        context: Context,
        unlocked: list[tuple[Account, keys.PrivateKey]],
        wait: int,
        once: bool,
    ) -> None:
        self.context = context
        self.unlocked = unlocked
        self.wait = wait
        self.once = once
        self.events: queue.Queue[Notification | Removed] = queue.Queue()
        self.stop = threading.Event()
        self.shown: set[str] = set()
        self.shown_lock = threading.Lock()
        self.active = {account.id for account, _ in unlocked}
        self.keys = {account.id: key for account, key in unlocked}
        self.client = context.client_factory()

    def run(self) -> int:
        for account, key in self.unlocked:
            threading.Thread(
                target=self._poll_forever, args=(account, key), daemon=True, name=account.id
            ).start()
        names = ", ".join(account.label for account, _ in self.unlocked)
        say(f"Listening for notifications for {names}. Press Ctrl-C to stop.")
        try:
            while self.active:
                try:
                    event = self.events.get(timeout=0.5)
                except queue.Empty:
                    continue
                if isinstance(event, Removed):
                    self._removed(event.account)
                    continue
                try:
                    for challenge in event.challenges:
                        if event.account.id not in self.active:
                            break
                        outcome = self._handle(event.account, challenge)
                        if self.once:
                            return outcome
                finally:
                    event.done.set()
        finally:
            self.stop.set()
        say("No accounts left to listen for.")
        return 1

    def _poll_forever(self, account: Account, key: keys.PrivateKey) -> None:
        assert account.device_id and account.poll_url
        client = self.context.client_factory()
        failures = 0
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                challenges = client.poll(key, account.device_id, account.poll_url, self.wait)
            except AccountRemoved:
                self.events.put(Removed(account))
                return
            except (ClientError, keys.KeyProblem) as error:
                if self.stop.is_set():
                    return
                failures += 1
                delay = min(BACKOFF_MAX_SECONDS, 2.0 ** (failures - 1))
                if isinstance(error, RateLimited) and error.retry_after:
                    delay = max(delay, error.retry_after)
                warn(f"{account.label}: {_describe(error)}. Trying again in {delay:.0f} s.")
                self.stop.wait(delay)
                continue
            if failures:
                warn(f"{account.label}: connected again.")
                failures = 0
            with self.shown_lock:
                fresh = [c for c in challenges if c.id not in self.shown]
                self.shown.update(c.id for c in fresh)
            if fresh:
                done = threading.Event()
                self.events.put(Notification(account, fresh, done))
                while not done.wait(0.5):
                    if self.stop.is_set():
                        return
            elif challenges or time.monotonic() - started < MIN_POLL_SECONDS:
                # Only notifications already shown (they stay open until they expire), or a
                # server that does not hold the poll open: don't hammer it.
                self.stop.wait(1.0 if challenges else MIN_POLL_SECONDS)

    def _removed(self, account: Account) -> None:
        if account.id not in self.active:
            return
        self.active.discard(account.id)
        say(
            f"Your organisation removed this app from {account.label}: "
            "it gets no more notifications for that account."
        )
        with self.context.store.update() as accounts:
            for stored in accounts:
                if stored.id == account.id:
                    stored.removed = True

    def _handle(self, account: Account, challenge: Challenge) -> int:
        title = PURPOSES.get(challenge.purpose, f"Request ({challenge.purpose})")
        place = ", ".join(part for part in (challenge.ip, challenge.location) if part)
        say()
        say(f"{title} for {account.label}")
        say(f"  App:       {challenge.app or 'not shown'}")
        say(f"  From:      {place or 'not shown'}")
        say(f"  Browser:   {challenge.browser or 'unknown'}")
        say(f"  Time:      {_local_time(challenge.created)}")
        if not ask_yes_no("Approve? [y/n]: "):
            fraud = ask_yes_no("Report suspicious activity? [y/n]: ")
            return self._send(account, challenge, "deny", None, fraud, user_verified=False)
        while True:
            number = ask("Number shown on the sign-in screen: ").replace(" ", "")
            if _NUMBER.fullmatch(number):
                break
            say("Type the number shown in the browser, digits only.")
        user_verified = False
        if account.pin_protected or account.require_pin or challenge.require_pin:
            if not account.pin_protected:
                say(
                    "Your organisation requires an app PIN, but this account was added without "
                    f"one: not answered. Remove it and add it again with: {PROG} add --pin"
                )
                return 1
            if unlock(account, "App PIN: ") is None:
                say("Too many wrong PINs: the notification was not answered.")
                return 1
            user_verified = True
        return self._send(account, challenge, "approve", number, False, user_verified)

    def _send(
        self,
        account: Account,
        challenge: Challenge,
        decision: str,
        number: str | None,
        report_fraud: bool,
        user_verified: bool,
    ) -> int:
        assert account.device_id and account.respond_url
        key = self.keys[account.id]
        attempt = 0
        while True:
            attempt += 1
            try:
                result = self.client.respond(
                    key,
                    account.device_id,
                    account.respond_url,
                    challenge,
                    decision,
                    number,
                    report_fraud,
                    user_verified,
                )
            except NetworkError as error:
                if attempt < SEND_ATTEMPTS:
                    warn(f"{_describe(error)}. Trying again.")
                    time.sleep(attempt)
                    continue
                say(f"The answer could not be sent: {_describe(error)}.")
                with self.shown_lock:
                    self.shown.discard(challenge.id)  # show it again if it is still open
                return 1
            except PinRequired:
                if user_verified or not account.pin_protected:
                    say("Your organisation requires the app PIN for this answer: not answered.")
                    return 1
                say("Your organisation requires the app PIN for this answer.")
                if unlock(account, "App PIN: ") is None:
                    say("Too many wrong PINs: the notification was not answered.")
                    return 1
                user_verified = True
                continue
            except AccountRemoved:
                self._removed(account)
                return 1
            except ChallengeClosed:
                say("This notification was already answered, has expired or was replaced.")
                return 1
            except BadSignature:
                say("The server refused this app's signature. Check this computer's clock.")
                return 1
            except (ServerError, ProtocolError) as error:
                say(f"The answer was not accepted: {error}")
                return 1
            say(_result_text(result, challenge))
            return 0


def _result_text(result: str, challenge: Challenge) -> str:
    if result == "approved":
        if challenge.purpose == "activation-test":
            return "Approved. This app is ready to use."
        return "Approved."
    if result == "denied":
        return "Denied."
    if result == "fraud_reported":
        return "Denied and reported as suspicious."
    if result == "wrong_number":
        return "Wrong number: the request was refused. Start again and type the number shown."
    return f"Result: {result}"


def _describe(error: Exception) -> str:
    if isinstance(error, BadSignature):
        return f"the server refused this app's signature (check this computer's clock): {error}"
    return str(error)


def _local_time(value: str | None) -> str:
    if not value:
        return "unknown"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def cmd_listen(args: argparse.Namespace, context: Context) -> int:
    accounts = context.store.load()
    if args.account:
        chosen = find(accounts, args.account)
        if chosen.kind != "push":
            raise Abort(f"{chosen.label} only has verification codes, no notifications")
        if chosen.removed:
            raise Abort(f"your organisation removed this app from {chosen.label}")
        selected = [chosen]
    else:
        selected = [a for a in accounts if a.kind == "push" and not a.removed]
    if not selected:
        removed = [a.label for a in accounts if a.kind == "push" and a.removed]
        if removed:
            raise Abort(f"your organisation removed this app from {', '.join(removed)}")
        raise Abort(f"no account to listen for; add one with: {PROG} add --qr IMAGE")
    unlocked: list[tuple[Account, keys.PrivateKey]] = []
    for account in selected:
        # Polls are signed too, so a PIN-protected key is unlocked once for this session; each
        # approval still asks for the PIN again.
        key = unlock(account, f"App PIN for {account.label}: ")
        if key is None:
            warn(f"Not listening for {account.label}: too many wrong PINs.")
            continue
        unlocked.append((account, key))
    if not unlocked:
        return 1
    return Listener(context, unlocked, args.wait, args.once).run()


# --- Entry point ---------------------------------------------------------------------------


def _wait_seconds(value: str) -> int:
    seconds = int(value)
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be 0 to {MAX_WAIT_SECONDS}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    store_help = (
        "folder holding accounts.json (default: $TWOFOLD_AUTHENTICATOR_HOME, else "
        "$XDG_CONFIG_HOME/twofold-authenticator, else ~/.config/twofold-authenticator)"
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Approve Twofold sign-in notifications and show verification codes.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--store", metavar="PATH", help=store_help)
    # Also accepted after the command, without overriding one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS, help=store_help)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add = commands.add_parser(
        "add",
        parents=[common],
        help="add an account from a QR code, a link or a typed code",
        description="Add a Twofold account (activation) or any otpauth:// TOTP account.",
    )
    source = add.add_mutually_exclusive_group(required=True)
    source.add_argument("--qr", metavar="IMAGE", help="image file with the QR code")
    source.add_argument("--uri", metavar="URI", help="twofold://activate?... or otpauth://totp/...")
    source.add_argument("--code", metavar="CODE", help="the 12-digit code shown under the QR")
    add.add_argument("--url", metavar="URL", help="the URL shown with --code")
    add.add_argument(
        "--name", metavar="DEVICE_NAME", help="name of this device (default: hostname)"
    )
    add.add_argument("--key-type", choices=keys.KEY_TYPES, help="default: ed25519")
    add.add_argument("--pin", action="store_true", help="protect the key with an app PIN")
    add.set_defaults(handler=cmd_add)

    codes = commands.add_parser("codes", parents=[common], help="show current verification codes")
    codes.set_defaults(handler=cmd_codes)

    listing = commands.add_parser("list", parents=[common], help="list accounts")
    listing.set_defaults(handler=cmd_list)

    listen = commands.add_parser(
        "listen", parents=[common], help="wait for sign-in notifications and answer them"
    )
    listen.add_argument("--once", action="store_true", help="exit after one notification")
    listen.add_argument("--account", metavar="ID", help="only this account (id or name)")
    listen.add_argument(
        "--wait",
        metavar="SECONDS",
        type=_wait_seconds,
        default=MAX_WAIT_SECONDS,
        help=f"how long the server may hold each poll open (0-{MAX_WAIT_SECONDS}, default "
        f"{MAX_WAIT_SECONDS})",
    )
    listen.set_defaults(handler=cmd_listen)

    remove = commands.add_parser("remove", parents=[common], help="remove an account locally")
    remove.add_argument("account", metavar="ACCOUNT", help="id or account name")
    remove.set_defaults(handler=cmd_remove)
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock = time.time) -> int:
    args = build_parser().parse_args(argv)
    context = Context(
        store=Store(resolve_folder(args.store)),
        clock=clock,
        client_factory=lambda: Client(clock=clock),
    )
    handler: Callable[[argparse.Namespace, Context], int] = args.handler
    try:
        return handler(args, context)
    except KeyboardInterrupt:
        print(file=sys.stderr, flush=True)
        return 130
    except (Abort, StoreError, LinkError, ClientError, keys.KeyProblem) as error:
        warn(f"{PROG}: {error}")
        return 1
