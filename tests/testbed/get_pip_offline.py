"""Stand-in for ansible-test's pip bootstrap script, whose URL (ci-files.testing.ansible.com) is unreachable here.

ansible-test runs its bootstrap script inside each fresh sanity virtualenv with pip's options and the
packages to install, in an environment stripped of PIP_* and SSL_* variables. This does the same from
what this machine can reach: pip bundled with Python (ensurepip), then pip from PyPI at the version
ansible-test asked for.
"""

import ensurepip
import os
import subprocess
import sys

# Options of the real get-pip.py that `pip install` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null for its own run; the machine's pip config is needed now.
os.environ.pop("PIP_CONFIG_FILE", None)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
