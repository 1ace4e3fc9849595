"""Demo data: a realistic clinic to try the app with (`manage.py seed_demo`).

Tables (plain data): `places` (locations, rooms, staff, therapists, providers,
payers), `stories` and `scenarios` (clinical stories), `data` (the clients).
The seeder: `seeder.DemoSeeder` with its stages `records`, `schedule` and `notes`.
"""
