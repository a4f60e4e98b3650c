import os
import tempfile

import matplotlib

os.environ.setdefault("MPLBACKEND", "Agg")
# the analysis caches properties on disk: the tests use a fresh folder, never ~/.cache/symnn
os.environ.setdefault("SYMNN_CACHE_DIR", tempfile.mkdtemp(prefix="symnn-test-cache-"))
matplotlib.use("Agg")

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("symnn", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("symnn")
except ImportError:  # pragma: no cover
    pass
