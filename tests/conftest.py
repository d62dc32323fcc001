"""Make the collection importable as ``ansible_collections.pronk8s.platform`` in every test.

tests/testbed/bootstrap.sh links the working tree into .cache/collections; that directory (and the
dependency collections beside it) goes on sys.path, the way ansible-test lays a collection out.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = Path(os.environ.get("PRONK8S_COLLECTIONS", ROOT / ".cache" / "collections"))
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
# The test bed's helpers (mirror server, image tools) are plain modules, not part of the collection.
TESTBED = ROOT / "tests" / "testbed"
if str(TESTBED) not in sys.path:
    sys.path.insert(0, str(TESTBED))

# Install Ansible's own collection loader once, before any test imports the collection, so every
# import of ansible_collections.* goes through it (as in a real run): a plugin-loader initialised
# later by one test would otherwise find half the collection imported the plain-Python way.
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(COLLECTIONS)])
