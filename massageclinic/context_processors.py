from __future__ import annotations
def roles(request):
    return {}
