"""enforcer: one policy.yaml, enforced everywhere git work happens."""
import os as _os

__version__ = "0.1.0"

# The wheel ships hooks/, policies/ and server_hooks/ inside this package; in
# a source checkout they sit beside it. Looking there too makes the checkout
# importable without the editable-install finder (hooks start Python without
# `site`, see enforcer.install).
if not _os.path.isdir(_os.path.join(_os.path.dirname(__file__), "policies")):
    __path__.append(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))
