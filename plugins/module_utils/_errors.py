# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one failure a module reports (see docs/developing.md, "Errors").

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

Helpers raise their own domain exceptions (OpenPGPError, DownloadError, OSError...). A module's
class turns each into a ModuleError where it can name the option and the value, and ``main()`` hands
its work to exit_with(), the only place that calls ``fail_json``.
"""

from __future__ import annotations

from typing import Any, Callable


class ModuleError(Exception):
    """A failure to report: the message, and the result fields to return with it."""

    def __init__(self, msg: str, **result: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.result = result


def exit_with(module: Any, run: Callable[[], dict]) -> None:
    """Exit the AnsibleModule with the result ``run()`` returns, or fail it with the ModuleError it raises.

    A result that says ``failed`` (a batch whose items failed on their own, each with its message, while the
    others were installed) fails the task with that whole result.
    """
    try:
        result = run()
    except ModuleError as exc:
        module.fail_json(msg=exc.msg, **exc.result)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
