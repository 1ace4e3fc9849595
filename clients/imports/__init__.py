"""Importing clients from another system's spreadsheet (CSV), manager only.

`reading` turns the file into rows of the New client page's fields; `services`
checks every row with the page's own form and `client_services` rules, asks
`clients.duplicates.client_duplicates` about each one (and compares the rows of the
file with each other), and registers the rows the manager keeps through
`client_create`, each with its audit row. The checking and the registering run in a
Celery worker (`clients.tasks`), and the page shows their progress.
"""
