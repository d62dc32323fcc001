# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Would sshd let one login in? Reads `sshd -T -C ...` output and applies sshd's own access rules.

The sshd lock-out check of the host_base role, through the filters pronk8s.platform.sshd_login_problems
and pronk8s.platform.sshd_authorized_keys_files.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

sshd evaluates its Match blocks itself when `sshd -T` is given the connection (`-C user=,host=,addr=,
laddr=,lport=`); what it does not evaluate in test mode is who may log in: AllowUsers, DenyUsers,
AllowGroups, DenyGroups (auth.c allowed_user), the auth methods and the key algorithms. This module
applies those rules the way OpenSSH does (match.c, addrmatch.c) to the settings sshd printed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

# Keywords sshd -T prints once per value (dump_cfg_strarray): every line counts, not the last one.
MULTI_VALUED = frozenset({"allowusers", "denyusers", "allowgroups", "denygroups", "authorizedkeysfile",
                          "authenticationmethods", "port", "listenaddress", "hostkey", "subsystem",
                          "acceptenv", "setenv", "permitopen", "permitlisten", "include"})
AUTH_METHODS = ("publickey", "password")
# Signature algorithms a current OpenSSH client uses for a key type (ssh-rsa keys sign with SHA-2 since
# OpenSSH 7.2; clients since 8.8 no longer offer the SHA-1 "ssh-rsa" signature by default).
KEY_TYPE_ALGORITHMS = {
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256"),
    "ssh-rsa-cert-v01@openssh.com": ("rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com"),
}
# A public key line: optional options, then the key type, then the base64 blob (every blob starts with
# the length of the type name, "AAAA").
KEY_LINE_RE = re.compile(r"(?:^|\s)((?:ssh|ecdsa|sk|rsa)-[A-Za-z0-9@.+-]+)\s+AAAA[A-Za-z0-9+/=]*")


@dataclass
class Login:
    """The login to keep working: who, how, from where, with which key types."""

    user: str
    auth: str
    address: str
    groups: list[str] = field(default_factory=list)
    key_types: list[str] = field(default_factory=list)


def parse_sshd_t(text: str) -> dict[str, list[str]]:
    """`sshd -T` output as keyword -> every value printed for it, in order (keywords lowercased)."""
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            settings.setdefault(parts[0].lower(), []).append(parts[1].strip())
    return settings


def key_types(text: str) -> list[str]:
    """Key types of the public keys in `text` (a .pub file or an authorized_keys file), unique, in order."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = KEY_LINE_RE.search(line)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


def authorized_keys_files(text: str, user: str, home: str, uid: str | int = "") -> list[str]:
    """The files sshd reads the user's keys from (AuthorizedKeysFile with its %%, %h, %u, %U tokens expanded)."""
    files = []
    for value in parse_sshd_t(text).get("authorizedkeysfile", []):
        for entry in value.split():
            if entry == "none":
                continue
            expanded = re.sub(r"%[%hHuU]", lambda m: {"%%": "%", "%h": home, "%u": user, "%U": str(uid)}.get(m.group(0), m.group(0)), entry)
            files.append(expanded if expanded.startswith("/") else f"{home.rstrip('/')}/{expanded}")
    return files


# ---- OpenSSH's pattern matching (match.c, addrmatch.c) ------------------------------------------
def match_pattern(string: str, pattern: str) -> bool:
    """match.c match_pattern: `*` and `?` wildcards, nothing else, case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, string, re.DOTALL) is not None


def match_pattern_list(string: str, patterns: str, lower: bool = False) -> int:
    """match.c match_pattern_list: 1 on a match, -1 on a negated match (which wins), 0 otherwise."""
    result = 0
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        if lower:
            pattern = pattern.lower()
        if match_pattern(string, pattern):
            if negated:
                return -1
            result = 1
    return result


def addr_match_list(address: str, patterns: str) -> int:
    """addrmatch.c addr_match_list: CIDR or wildcard entries; 1 match, -1 negated match, 0 none, -2 empty entry.

    (`sshd -t` already refuses a list sshd cannot parse, so only the matching matters here.)
    """
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return 0
    result = 0
    for entry in patterns.split(","):
        negated = entry.startswith("!")
        entry = entry[1:] if negated else entry
        if not entry:
            return -2
        network = _network(entry)
        if network is not None:
            matched = addr.version == network.version and addr in network
        else:
            matched = match_pattern(address, entry)
        if matched:
            if negated:
                return -1
            result = 1
    return result


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network an address or ADDRESS/MASKLEN entry names (sshd masks the host bits); None for a wildcard."""
    if not re.fullmatch(r"[0-9a-fA-F.:]+(/[0-9]{1,3})?", entry):
        return None
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def match_host_and_ip(host: str, address: str, patterns: str) -> int:
    """match.c match_host_and_ip: 1 match, 0 no match, -1 error in the pattern."""
    by_address = addr_match_list(address, patterns)
    if by_address == -2:
        return -1
    if by_address == -1:
        return 0
    by_host = match_pattern_list(host.lower(), patterns, lower=True)
    if by_host == -1:
        return 0
    return 1 if (by_host == 1 or by_address == 1) else 0


def match_user(user: str, host: str, address: str, pattern: str) -> int:
    """match.c match_user: USER or USER@HOST (the last '@' splits), host part as match_host_and_ip."""
    if "@" not in pattern:
        return 1 if match_pattern(user, pattern) else 0
    user_pattern, host_pattern = pattern.rsplit("@", 1)
    if not match_pattern(user, user_pattern):
        return 0
    return match_host_and_ip(host, address, host_pattern)


# ---- the check ----------------------------------------------------------------------------------
def _first(settings: dict[str, list[str]], key: str, default: str) -> str:
    return (settings.get(key) or [default])[0]


def _entries(settings: dict[str, list[str]], key: str) -> list[str]:
    return [word for value in settings.get(key, []) for word in value.split()]


def login_problems(text: str, login: Login) -> list[str]:
    """Why sshd, configured as `text` (`sshd -T -C` for this login), would refuse `login`; [] if it lets it in."""
    settings = parse_sshd_t(text)
    if not settings:
        return ["sshd -T printed no settings"]
    problems: list[str] = []
    problems += _auth_method_problems(settings, login)
    problems += _user_problems(settings, login)
    problems += _group_problems(settings, login)
    if login.auth == "publickey":
        problems += _key_problems(settings, login)
    for key in ("forcecommand", "chrootdirectory"):
        if _first(settings, key, "none") != "none":
            problems.append(f"{key} {_first(settings, key, 'none')} applies to {login.user} "
                            f"(Ansible could log in but not run its modules)")
    return problems


def _auth_method_problems(settings: dict[str, list[str]], login: Login) -> list[str]:
    problems = []
    keyword = "pubkeyauthentication" if login.auth == "publickey" else "passwordauthentication"
    if _first(settings, keyword, "no") != "yes":
        problems.append(f"{keyword}={_first(settings, keyword, '?')}")
    if login.user == "root":
        root = _first(settings, "permitrootlogin", "yes")
        allowed = root == "yes" or (login.auth == "publickey" and root in ("prohibit-password", "without-password"))
        if not allowed:
            problems.append(f"permitrootlogin={root} (root logs in with {login.auth})")
    methods = settings.get("authenticationmethods", ["any"])
    lists = [chain for value in methods for chain in value.split()]
    if "any" not in lists and not any(
            all(step.split(":", 1)[0] == login.auth for step in chain.split(",")) for chain in lists):
        problems.append(f"authenticationmethods {' '.join(lists)} has no list that {login.auth} alone completes")
    return problems


def _user_problems(settings: dict[str, list[str]], login: Login) -> list[str]:
    problems = []
    host = login.address  # with UseDNS no (the default) sshd matches host patterns against the address
    patterns = _entries(settings, "denyusers") + _entries(settings, "allowusers")
    if _first(settings, "usedns", "no") == "yes" and any("@" in p for p in patterns):
        problems.append("usedns=yes and AllowUsers/DenyUsers have USER@HOST patterns: sshd matches them against "
                        "the reverse DNS name of the client, which this check cannot know")
    for pattern in _entries(settings, "denyusers"):
        result = match_user(login.user, host, login.address, pattern)
        if result < 0:
            problems.append(f"denyusers {pattern} is an invalid pattern (sshd refuses every login)")
        elif result:
            problems.append(f"denyusers {pattern} matches {login.user} from {login.address}")
    allow = _entries(settings, "allowusers")
    if allow:
        results = [match_user(login.user, host, login.address, pattern) for pattern in allow]
        if any(r < 0 for r in results):
            problems.append("allowusers has an invalid pattern (sshd refuses every login)")
        elif 1 not in results:
            problems.append(f"allowusers {' '.join(allow)} does not list {login.user} from {login.address}")
    return problems


def _group_problems(settings: dict[str, list[str]], login: Login) -> list[str]:
    deny, allow = _entries(settings, "denygroups"), _entries(settings, "allowgroups")
    if not deny and not allow:
        return []
    if not login.groups:
        return [f"allowgroups/denygroups are set but the groups of {login.user} are unknown"]
    problems = []
    denied = [f"{group} ({pattern})" for group in login.groups for pattern in deny if match_pattern(group, pattern)]
    if denied:
        problems.append(f"denygroups {' '.join(deny)} matches the group(s) of {login.user}: {', '.join(denied)}")
    if allow and not any(match_pattern(group, pattern) for group in login.groups for pattern in allow):
        problems.append(f"allowgroups {' '.join(allow)} lists none of the groups of {login.user} ({', '.join(login.groups)})")
    return problems


def _key_problems(settings: dict[str, list[str]], login: Login) -> list[str]:
    problems = []
    files = _entries(settings, "authorizedkeysfile")
    if (not files or files == ["none"]) and _first(settings, "authorizedkeyscommand", "none") == "none":
        problems.append("authorizedkeysfile none and no authorizedkeyscommand: no key can be accepted")
    accepted_value = _first(settings, "pubkeyacceptedalgorithms", _first(settings, "pubkeyacceptedkeytypes", ""))
    if not accepted_value:
        return problems  # an sshd too old to print it accepts its built-in defaults
    accepted = set(accepted_value.split(","))
    if not login.key_types:
        problems.append("the key type of the connection is unknown")
    for key_type in login.key_types:
        algorithms = KEY_TYPE_ALGORITHMS.get(key_type, (key_type,))
        if not accepted.intersection(algorithms):
            problems.append(f"pubkeyacceptedalgorithms {accepted_value} accepts no signature of a {key_type} key "
                            f"({' or '.join(algorithms)})")
    return problems
