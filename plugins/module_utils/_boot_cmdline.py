# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse and edit a Linux kernel command line (``cmdline.txt``, ``/proc/cmdline``).

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

The rules follow the kernel's own parser (``next_arg`` and ``parameq`` in kernel/params.c):
whitespace separates parameters except inside double quotes, ``-`` and ``_`` are the same character
in a parameter name, and everything after a lone ``--`` is handed to init, not to the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INIT_SEPARATOR = "--"
# The kernel copies the command line into a buffer of COMMAND_LINE_SIZE bytes, NUL included, and cuts
# what does not fit: 2048 on arm64 and x86 (arch/*/include/uapi/asm/setup.h), so 2047 bytes of text.
# 32-bit ARM kernels have 1024. The Raspberry Pi firmware also prepends its own parameters.
COMMAND_LINE_SIZE = 2048
# Keys that legitimately appear several times with different values (console=serial0 console=tty1,
# cgroup_enable=cpuset cgroup_enable=memory): for these, key=value means "this exact pair".
DEFAULT_MULTI_VALUE_KEYS = ("cgroup_enable", "cgroup_disable", "console")


class CmdlineError(ValueError):
    """A command line or a parameter that cannot be handled safely."""


def split_cmdline(text: str) -> list[str]:
    """Split a command line into parameters the way the kernel does (quotes group whitespace)."""
    tokens: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
            current.append(char)
        elif char.isspace() and not in_quotes:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if in_quotes:
        raise CmdlineError("unbalanced double quote")
    if current:
        tokens.append("".join(current))
    return tokens


def param_key(token: str) -> str:
    """The parameter name of a token, normalized (the kernel treats '-' and '_' alike)."""
    return token.replace('"', "").split("=", 1)[0].replace("-", "_")


def param_value(token: str) -> str | None:
    """The value of a token (quotes removed), or None for a bare flag."""
    unquoted = token.replace('"', "")
    return unquoted.split("=", 1)[1] if "=" in unquoted else None


def same_param(left: str, right: str) -> bool:
    """Whether two tokens are the same parameter with the same value."""
    return param_key(left) == param_key(right) and param_value(left) == param_value(right)


def check_parameter(param: str, where: str) -> None:
    """Refuse a requested parameter that would break the single-line command line."""
    if not isinstance(param, str) or not param.strip():
        raise CmdlineError(f"{where}: empty parameter")
    if "\n" in param or "\r" in param or "\0" in param:
        raise CmdlineError(f"{where}: {param!r} contains a line break or NUL")
    try:
        tokens = split_cmdline(param)
    except CmdlineError as exc:
        raise CmdlineError(f"{where}: {param!r} has an {exc}") from None
    if len(tokens) != 1 or tokens[0] != param:
        raise CmdlineError(f"{where}: {param!r} is not a single parameter; quote a value that holds spaces "
                           '(name="a b")')
    if param == INIT_SEPARATOR:
        raise CmdlineError(f"{where}: '--' separates kernel from init arguments and cannot be managed")
    if not param_key(param):
        raise CmdlineError(f"{where}: {param!r} has no parameter name")


@dataclass
class KernelCmdline:
    """A command line as a list of tokens; edits touch only the kernel part (before ``--``)."""

    tokens: list[str]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> "KernelCmdline":
        return cls(split_cmdline(text))

    @property
    def kernel_end(self) -> int:
        """Index of the init separator, or the length: kernel parameters live before it."""
        return self.tokens.index(INIT_SEPARATOR) if INIT_SEPARATOR in self.tokens else len(self.tokens)

    def kernel_params(self) -> list[str]:
        return self.tokens[:self.kernel_end]

    def has(self, param: str) -> bool:
        return any(same_param(token, param) for token in self.kernel_params())

    def ensure_present(self, params: list[str], multi_value_keys: tuple[str, ...] = DEFAULT_MULTI_VALUE_KEYS) -> None:
        multi = {key.replace("-", "_") for key in multi_value_keys}
        for param in params:
            if param_value(param) is None or param_key(param) in multi:
                if not self.has(param):
                    self._insert(param)
            else:
                self._set_value(param)

    def ensure_absent(self, params: list[str]) -> None:
        """Remove exact key=value pairs; a bare name removes that parameter whatever its value."""
        for param in params:
            bare = param_value(param) is None
            end = self.kernel_end
            kept = []
            for token in self.tokens[:end]:
                matches = param_key(token) == param_key(param) if bare else same_param(token, param)
                if matches:
                    self.removed.append(token)
                else:
                    kept.append(token)
            self.tokens = kept + self.tokens[end:]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def render(self) -> str:
        """One line, parameters separated by one space, one trailing newline."""
        if not self.tokens:
            raise CmdlineError("refusing to write an empty command line")
        return " ".join(self.tokens) + "\n"

    def _insert(self, param: str) -> None:
        self.tokens.insert(self.kernel_end, param)
        self.added.append(param)

    def _set_value(self, param: str) -> None:
        """key=value: replace the first occurrence in place, drop later duplicates (last would win)."""
        key = param_key(param)
        positions = [i for i, token in enumerate(self.kernel_params()) if param_key(token) == key]
        if not positions:
            self._insert(param)
            return
        first = positions[0]
        if len(positions) == 1 and self.tokens[first] == param:
            return
        for index in reversed(positions[1:]):
            self.removed.append(self.tokens.pop(index))
        if self.tokens[first] != param:
            self.removed.append(self.tokens[first])
            self.tokens[first] = param
            self.added.append(param)


def check_length(line: str, path: str, max_bytes: int) -> None:
    """Refuse a command line the kernel would cut short (it keeps max_bytes bytes and drops the rest)."""
    size = len(line.rstrip("\r\n").encode("utf-8"))
    if size > max_bytes:
        raise CmdlineError(f"{path}: the new command line would be {size} bytes, over the kernel's limit of {max_bytes} "
                           f"(COMMAND_LINE_SIZE {max_bytes + 1} with its NUL); the kernel would cut it short. "
                           "Remove parameters, or set max_bytes for a kernel with another limit")


def check_file_text(text: str, path: str) -> None:
    """Refuse content that is not exactly one non-empty line (a trailing newline is fine)."""
    if not text.strip():
        raise CmdlineError(f"{path} is empty; refusing to edit it (the kernel command line would be lost)")
    body = text.rstrip("\r\n")
    if "\n" in body or "\r" in body:
        lines = len(body.splitlines())
        raise CmdlineError(f"{path} has {lines} lines; a kernel command line file must be a single line")
    if "\0" in text:
        raise CmdlineError(f"{path} contains a NUL byte; it does not look like a command line file")
