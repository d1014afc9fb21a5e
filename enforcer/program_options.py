"""The options of the programs policies commonly allow, as far as the command check knows them.

A policy's `allow` pattern names a program and perhaps one option
(`^curl .* --head`, `^python3 -m pytest`, `^git (status|log|diff|branch)`).
These programs have hundreds of other options, some of which upload a file,
change the HTTP method, load code or move a ref; reviews kept finding ones a
list of the dangerous would miss (and abbreviations: `git branch --dele`).
So for them the check knows the other way round: the options whose only
effect is to read and print. An allowed command that uses any other option,
or an operand of a kind not listed (a `file:` URL, a branch to create), is
not allowed but asked. Files they write (`curl -o F`) are judged as edits
elsewhere. Programs not named here are left to the patterns.

Pure data and one function; no I/O.
"""
from __future__ import annotations

from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Callable, Sequence


class Options(NamedTuple):
    """Known-harmless options: short letters alone (``flags``) or taking a value (``valued``, the
    rest of the word or the next one), long names alone or taking a value (``=V`` or the next
    word); ``operand`` says why an operand is not known to be harmless, or None."""

    flags: str = ""
    valued: str = ""
    long_flags: frozenset[str] = frozenset()
    long_valued: frozenset[str] = frozenset()
    operand: Callable[[str, Sequence[str]], str | None] | None = None
    value: Callable[[str, str], str | None] | None = None  # why an option's value is not harmless


def _words(text: str) -> frozenset[str]:
    return frozenset(f"--{w}" for w in text.split())


GUESSED = ("ftp.", "dict.", "ldap.", "imap.", "pop3.", "smtp.")  # curl picks the protocol from these hosts


def _scheme(arg: str) -> str | None:
    """A URL's scheme as curl reads it: letters, digits, `+.-` up to `:/` (one to three slashes)."""
    name, colon, rest = arg.partition(":")
    if colon and rest.startswith("/") and name[:1].isalpha() and all(c.isalnum() or c in "+.-" for c in name):
        return name.lower()
    return None


def _curl_operand(arg: str, argv: Sequence[str]) -> str | None:
    found = _scheme(arg)
    if found is None and arg.lower().startswith(GUESSED):
        return f"a URL whose host makes curl guess another protocol than http ({arg.split('.', 1)[0]})"
    scheme = found or "http"
    if scheme not in ("http", "https"):
        return f"a {scheme}: URL (curl may read, write or upload files there)"
    if ("{" in arg or "[" in arg) and not {"-g", "--globoff"} & set(argv):
        return "a URL glob (curl makes several requests and may name files after them)"
    return None


def _curl_value(option: str, value: str) -> str | None:
    if option in ("-w", "--write-out") and value.startswith("@"):
        return "a --write-out format read from a file (it may name files to write)"
    if option in ("-H", "--header") and value.startswith("@"):
        return "headers read from a file (curl sends its lines)"
    if option in ("-b", "--cookie") and "=" not in value:
        return "a cookie file (curl sends its lines)"
    return None


def _pytest_operand(arg: str, argv: Sequence[str]) -> str | None:
    return "arguments read from a file (@FILE)" if arg.startswith("@") else None


def _pytest_value(option: str, value: str) -> str | None:
    parts = value.split(":")  # action:message:category:module:line
    if option == "-W" and len(parts) > 2 and "." in parts[2]:
        return "a warning category pytest imports"
    return None


def _branch_operand(arg: str, argv: Sequence[str]) -> str | None:
    listing = {"-l", "--list", "-a", "--all", "-r", "--remotes"} & set(argv)
    return None if listing else "a branch name: git branch creates a branch"


CURL = Options(
    flags="sSfLvikI46gN#jZlq",
    valued="mHAewruoxYyCb",
    long_flags=_words("head silent show-error fail fail-with-body fail-early location verbose include insecure "
                      "compressed globoff no-buffer http1.0 http1.1 http2 http2-prior-knowledge http3 ipv4 ipv6 "
                      "no-progress-meter progress-bar no-keepalive tcp-nodelay path-as-is disable no-sessionid "
                      "raw tr-encoding retry-connrefused retry-all-errors ssl-reqd list-only junk-session-cookies "
                      "parallel tlsv1 tlsv1.0 tlsv1.1 tlsv1.2 tlsv1.3 location-trusted styled-output "
                      "no-styled-output ca-native"),
    long_valued=_words("max-time connect-timeout retry retry-delay retry-max-time header user-agent referer "
                       "write-out range output user proxy max-filesize max-redirs resolve connect-to limit-rate "
                       "speed-limit speed-time cacert capath cookie expect100-timeout keepalive-time interface "
                       "dns-servers noproxy proxy-user cert key tls-max parallel-max"),
    operand=_curl_operand,
    value=_curl_value,
)
PYTEST = Options(
    flags="qvxsl",
    valued="kmrnW",
    long_flags=_words("quiet verbose exitfirst lf last-failed ff failed-first nf new-first sw stepwise "
                      "stepwise-skip co collect-only showlocals no-header no-summary disable-warnings "
                      "strict-markers strict-config cache-clear runxfail setup-show setup-plan fixtures "
                      "markers version help full-trace"),
    long_valued=_words("durations durations-min tb maxfail color capture ignore ignore-glob deselect"),
    operand=_pytest_operand,
    value=_pytest_value,
)
GIT_BRANCH_LISTING = Options(
    flags="alrvi",
    valued="",
    long_flags=_words("all list remotes verbose ignore-case show-current color no-color column no-column "
                      "omit-empty no-abbrev abbrev"),  # --abbrev takes its value only as --abbrev=N
    long_valued=_words("contains no-contains merged no-merged points-at sort format"),
    operand=_branch_operand,
)


def unknown_options(argv: Sequence[str]) -> list[str]:
    """Why ``argv`` (a simple command's words) may do more than read and print: each option or
    operand not known to be harmless, for the programs this module knows; [] for the others."""
    options, args = _known(argv)
    if options is None:
        return []
    found: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        following = args[i + 1] if i + 1 < len(args) else ""
        if arg == "--":
            found += [why for a in args[i + 1:] if (why := _operand(options, a, argv))]
            break
        if arg.startswith("--"):
            name, equals, value = arg.partition("=")
            if name in options.long_valued:
                found += _value(options, name, value if equals else following)
                i += 1 if equals else 2
                continue
            if name not in options.long_flags:  # a flag's `=V` is its optional value (--color=always)
                found.append(f"option {name}")
        elif arg.startswith("-") and len(arg) > 1:
            for j, letter in enumerate(arg[1:], 1):
                if letter in options.valued:  # -mVALUE, or -m VALUE
                    found += _value(options, f"-{letter}", arg[j + 1:] or following)
                    i += 0 if arg[j + 1:] else 1
                    break
                if letter not in options.flags:
                    found.append(f"option -{letter}")
                    break
        elif why := _operand(options, arg, argv):
            found.append(why)
        i += 1
    return found


def _value(options: Options, option: str, value: str) -> list[str]:
    why = options.value(option, value) if options.value is not None else None
    return [why] if why else []


def _operand(options: Options, arg: str, argv: Sequence[str]) -> str | None:
    return options.operand(arg, argv) if options.operand is not None else None


def _known(argv: Sequence[str]) -> tuple[Options | None, Sequence[str]]:
    """The table for this command, and its words after the program (and subcommand)."""
    name = argv[0] if argv else ""
    if name == "curl":
        return CURL, argv[1:]
    if name in ("pytest", "py.test"):
        return PYTEST, argv[1:]
    if name.startswith("python") and tuple(argv[1:3]) == ("-m", "pytest"):
        return PYTEST, argv[3:]
    if name == "git" and len(argv) > 1 and argv[1] == "branch":
        return GIT_BRANCH_LISTING, argv[2:]
    return None, ()
