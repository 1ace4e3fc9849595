"""Client pages, one module per part of the chart; each module has its urlpatterns."""
