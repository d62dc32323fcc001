# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to this collection. It may change or disappear at any time:
# do not import it from other collections or from playbooks.

"""Replace a small file atomically: readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
import tempfile

from ansible.module_utils.common.text.converters import to_native


def write_atomic(module, path: str, data: bytes, mode: int = 0o644, make_dirs: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path`` and move it into place; fails the module on error.

    ``make_dirs`` creates missing parent directories (mode 0755) first. An existing ``path`` keeps its
    owner and mode (AnsibleModule.atomic_move copies them); a new one gets ``mode``.
    """
    directory = os.path.dirname(path) or "."
    try:
        if make_dirs:
            os.makedirs(directory, mode=0o755, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pronk8s.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        module.atomic_move(tmp, path)
    except OSError as exc:
        module.fail_json(msg=f"cannot write {path}: {to_native(exc)}")
