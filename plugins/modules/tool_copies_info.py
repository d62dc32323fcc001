#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tool_copies_info
short_description: List every copy of a command a user may run, which one wins on their PATH, and whether it is the verified one
version_added: 1.1.0
description:
  - Looks for O(name) in every directory of the target user's PATH and in the usual places other installers use
    (C(/usr/bin) with the dpkg package that owns the file, C(/snap/bin), C(~/.local/bin), C(~/bin), C(~/go/bin),
    asdf and mise shims).
  - Says which copy the user's PATH picks, whether it is the verified one (O(verified_path), the same file after
    symlinks), and which unverified copies come before the verified one's directory on that PATH (they shadow it).
  - The user's PATH is the one their login shell sets up interactively (C(.profile) and C(.bashrc), where asdf and
    mise put their shims), asked with a clean environment; O(search_path) replaces it.
  - It only reads; it changes nothing and runs none of the copies it finds.
author:
  - pronk8s developers (@pronk8s)
extends_documentation_fragment:
  - pronk8s.platform.attributes
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: The module only reads.
options:
  name:
    description: The command, for example V(kubectl).
    type: str
    required: true
  user:
    description:
      - Whose PATH counts. Default the user who ran C(sudo) (C(SUDO_USER), so C(become) still looks at the person's
        PATH), else the user the module runs as.
    type: str
  verified_path:
    description: Where the verified copy is (or will be) installed, for example C(/usr/local/bin/kubectl).
    type: path
    required: true
  search_path:
    description: A PATH to use instead of asking the user's login shell.
    type: str
  extra_dirs:
    description: More directories to look in, besides the PATH and the usual places.
    type: list
    elements: path
    default: []
  shell_timeout:
    description: Seconds the user's shell may take to print its PATH before the system default PATH is used.
    type: int
    default: 20
seealso:
  - module: pronk8s.platform.verified_binary
"""

EXAMPLES = r"""
---
- name: Which kubectl does alice run?
  pronk8s.platform.tool_copies_info:
    name: kubectl
    user: alice
    verified_path: /usr/local/bin/kubectl
  register: kubectl_copies

- name: Say so
  ansible.builtin.debug:
    msg: "{{ kubectl_copies.summary }}"
"""

RETURN = r"""
user:
  description: Whose PATH was used.
  returned: always
  type: str
  sample: alice
search_path:
  description: That PATH, in order.
  returned: always
  type: list
  elements: str
  sample: [/home/alice/.local/bin, /usr/local/bin, /usr/bin, /bin]
path_source:
  description: Where the PATH came from (C(login shell), C(search_path), or C(default) when the shell did not answer).
  returned: always
  type: str
  sample: login shell
copies:
  description:
    - Every copy found, in PATH order then the others. C(provider) is one of C(verified), C(dpkg), C(snap), C(asdf),
      C(mise), C(go install), C(user), C(unknown); C(remove_hint) says how it would be removed.
  returned: always
  type: list
  elements: dict
  sample:
    - {path: /usr/bin/kubectl, realpath: /usr/bin/kubectl, on_path: true, path_index: 2, wins: true, verified: false,
       shadows_verified: false, provider: dpkg, package: kubectl, remove_hint: apt-get remove kubectl}
winner:
  description: The copy the user's PATH picks now (null when none is on it).
  returned: always
  type: str
  sample: /usr/bin/kubectl
winner_verified:
  description: Whether that copy is the verified one.
  returned: always
  type: bool
verified_exists:
  description: Whether O(verified_path) exists.
  returned: always
  type: bool
verified_on_path:
  description: Whether the directory of O(verified_path) is on the user's PATH.
  returned: always
  type: bool
shadowing:
  description: Unverified copies that come before the verified one on the user's PATH (all of them when its directory is not on it).
  returned: always
  type: list
  elements: str
  sample: [/home/alice/go/bin/kind]
summary:
  description: All of it in one sentence.
  returned: always
  type: str
  sample: "kubectl: /usr/bin/kubectl (dpkg package kubectl) wins on alice's PATH and it is NOT the verified one"
"""

import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with
from ansible_collections.pronk8s.platform.plugins.module_utils._sha256 import sha256_if_file
from ansible_collections.pronk8s.platform.plugins.module_utils._tool_copies import (
    DPKG,
    VERIFIED,
    Copy,
    provider_of,
    rank,
    split_path,
    summary,
    usual_dirs,
)

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
_MARK = "__PRONK8S_PATH__="


def argument_spec() -> dict:
    """The module's options (a new dict each call)."""
    return dict(
        name=dict(type="str", required=True),
        user=dict(type="str"),
        verified_path=dict(type="path", required=True),
        search_path=dict(type="str"),
        extra_dirs=dict(type="list", elements="path", default=[]),
        shell_timeout=dict(type="int", default=20),
    )


class ToolCopies:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.p = module.params
        self.name = self.p["name"]
        if "/" in self.name or not self.name:
            raise ModuleError(f"name: {self.name!r} must be a command name, not a path")
        self.account = self._account()

    def _account(self) -> pwd.struct_passwd:
        wanted = self.p["user"] or os.environ.get("SUDO_USER") or pwd.getpwuid(os.geteuid()).pw_name
        try:
            return pwd.getpwnam(wanted)
        except KeyError as exc:
            raise ModuleError(f"user: no account {wanted!r} on this host") from exc

    def run(self) -> dict:
        search_path, source = self._search_path()
        home = self.account.pw_dir
        verified = self.p["verified_path"]
        verified_real = os.path.realpath(verified)
        copies = self._find(search_path + usual_dirs(home) + self.p["extra_dirs"])
        owners = self._dpkg_owners(copies)
        for copy in copies:
            copy.verified = os.path.exists(verified) and copy.realpath == verified_real
            package = owners.get(copy.path) or owners.get(copy.realpath)
            copy.provider, copy.remove_hint = (VERIFIED, "") if copy.verified else provider_of(copy.path, copy.realpath, home, package)
            copy.package = package if copy.provider == DPKG else (os.path.basename(copy.path) if copy.provider == "snap" else None)
        rank(copies, search_path, verified)
        copies.sort(key=lambda c: (c.path_index is None, c.path_index or 0, c.path))
        winner = next((c for c in copies if c.wins), None)
        verified_on_path = os.path.dirname(verified) in search_path
        return {
            "changed": False, "user": self.account.pw_name, "search_path": search_path, "path_source": source,
            "copies": [c.to_dict() for c in copies], "winner": winner.path if winner else None,
            "winner_verified": bool(winner and winner.verified), "verified_exists": os.path.exists(verified),
            "verified_on_path": verified_on_path, "shadowing": [c.path for c in copies if c.shadows_verified],
            "summary": summary(self.name, self.account.pw_name, copies, verified, os.path.exists(verified), verified_on_path),
        }

    def _search_path(self) -> tuple[list[str], str]:
        if self.p["search_path"] is not None:
            return split_path(self.p["search_path"]), "search_path"
        found = self._login_shell_path()
        if found:
            return split_path(found), "login shell"
        self.module.warn(f"{self.account.pw_name}'s login shell did not print its PATH; the system default PATH is used")
        return split_path(DEFAULT_PATH), "default"

    def _login_shell_path(self) -> str | None:
        user = self.account
        shell = user.pw_shell if user.pw_shell and os.path.basename(user.pw_shell) not in ("nologin", "false") else "/bin/sh"
        env = [f"HOME={user.pw_dir}", f"USER={user.pw_name}", f"LOGNAME={user.pw_name}", f"SHELL={shell}",
               "PATH=/usr/local/bin:/usr/bin:/bin", "TERM=dumb", "LC_ALL=C"]
        # Interactive AND login, as a terminal starts it: asdf and mise add their shims in .bashrc/.zshrc,
        # which Debian's .bashrc skips for non-interactive shells.
        script = f"printf '\\n{_MARK}%s\\n' \"$PATH\""
        argv = ["timeout", "--kill-after=5", str(self.p["shell_timeout"]), "env", "-i", *env, shell, "-l", "-i", "-c", script]
        if os.geteuid() == 0 and user.pw_uid != 0:
            argv = ["runuser", "-u", user.pw_name, "--"] + argv
        elif os.geteuid() not in (0, user.pw_uid):
            return None
        # A session of its own, without a controlling terminal: without pipelining Ansible runs modules on a pty,
        # where an interactive shell outside the terminal's foreground group is stopped (SIGTTOU) for good.
        argv = ["setsid", "--wait"] + argv
        # expand_user_and_vars off: "$PATH" is for the user's shell, not for this process's environment.
        rc, out, _err = self.module.run_command(argv, data="", cwd=user.pw_dir if os.path.isdir(user.pw_dir) else "/",
                                                expand_user_and_vars=False)
        lines = [line[len(_MARK):] for line in out.splitlines() if line.startswith(_MARK)]
        return lines[-1] if rc == 0 and lines else None

    def _find(self, dirs: list[str]) -> list[Copy]:
        copies: list[Copy] = []
        seen_dirs: dict[str, Copy] = {}
        for directory in dict.fromkeys(os.path.normpath(d) for d in dirs):
            path = os.path.join(directory, self.name)
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                continue
            real_dir = os.path.realpath(directory)
            if real_dir in seen_dirs:
                # The same file reached through another directory (/bin and /usr/bin on a merged /usr).
                seen_dirs[real_dir].aliases.append(path)
                continue
            copy = Copy(path=path, realpath=os.path.realpath(path), sha256=sha256_if_file(path))
            seen_dirs[real_dir] = copy
            copies.append(copy)
        return copies

    def _dpkg_owners(self, copies: list[Copy]) -> dict[str, str]:
        paths = sorted({p for c in copies for p in [c.path, c.realpath, *c.aliases]})
        if not paths or not self.module.get_bin_path("dpkg-query"):
            return {}
        # rc 1 only says some paths belong to no package; the others are still listed.
        _rc, out, _err = self.module.run_command(["dpkg-query", "--search", *paths], environ_update={"LC_ALL": "C"})
        owners = {}
        for line in out.splitlines():
            if line.startswith("diversion by") or ": " not in line:
                continue
            packages, path = line.rsplit(": ", 1)
            owners[path.strip()] = packages.split(",")[0].strip().split(":")[0]
        for copy in copies:
            for alias in copy.aliases:
                if alias in owners:
                    owners.setdefault(copy.path, owners[alias])
        return owners


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    exit_with(module, lambda: ToolCopies(module).run())


if __name__ == "__main__":
    main()
