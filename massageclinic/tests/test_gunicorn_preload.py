"""The production server loads the app once and freezes it before the workers fork,
so the garbage collector's full passes do not rescan the app on every request."""

from __future__ import annotations

import gc
import runpy

from massageclinic.tests.test_access_log import CONFIG


def test_the_app_is_loaded_once_and_frozen_before_the_workers_fork():
    config = runpy.run_path(str(CONFIG))
    assert config["preload_app"] is True
    before = gc.get_freeze_count()
    try:
        config["when_ready"](server=None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
