"""The production access log never records a query string (a client's name typed
into a search, a health term) nor the referring page's address, which carries one."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"

# gunicorn's atoms that carry the query string: the request line, the query string
# itself, the referring page, and the raw request headers.
LEAKY = {"r", "q", "f", "{referer}i", "{Referer}i"}


def test_the_access_log_records_the_path_without_its_query_string():
    config = runpy.run_path(str(CONFIG))
    log_format = config["access_log_format"]
    atoms = set(re.findall(r"%\(([^)]+)\)s", log_format))
    assert "U" in atoms  # the path, without the query string
    assert not atoms & LEAKY, atoms & LEAKY
    assert config["accesslog"]  # there is an access log, just not a leaky one
