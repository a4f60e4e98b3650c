import os

import matplotlib

os.environ.setdefault("MPLBACKEND", "Agg")
matplotlib.use("Agg")

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("symnn", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("symnn")
except ImportError:  # pragma: no cover
    pass
