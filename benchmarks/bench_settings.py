"""The project's settings with the bench's URLconf: the app's pages plus one tiny
signed-in page to compare the day view's throughput against. For the bench only."""

from massageclinic.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
