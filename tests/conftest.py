import os
import tempfile

import matplotlib

os.environ.setdefault("MPLBACKEND", "Agg")
# the analysis caches properties on disk: the tests use a fresh folder, never ~/.cache/symnn
os.environ.setdefault("SYMNN_CACHE_DIR", tempfile.mkdtemp(prefix="symnn-test-cache-"))
matplotlib.use("Agg")
# the NumPy training code is the reference: tests opt in to the numba kernels (jit=True), whose
# machine code is cached across runs in one folder of the system's temporary directory
os.environ.setdefault("SYMNN_JIT", "0")
_UID = getattr(os, "getuid", lambda: 0)()
os.environ.setdefault(
    "SYMNN_JIT_CACHE_DIR", os.path.join(tempfile.gettempdir(), f"symnn-test-numba-{_UID}")
)

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("symnn", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("symnn")
except ImportError:  # pragma: no cover
    pass
