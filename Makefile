# The two commands of the README: `make run` and `make test`.
# Both set up what is pinned (Python packages in .venv, front-end assets in
# node_modules) and start a private PostgreSQL and Redis unless DATABASE_URL and
# REDIS_URL point at real ones.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_JS := node_modules/.installed

# The modules mypy judges (mypy.ini); widen as more are typed.
TYPECHECKED := massageclinic/audit.py massageclinic/clock.py massageclinic/billing.py \
	massageclinic/middleware.py massageclinic/client_links.py massageclinic/two_factor.py \
	massageclinic/session_security.py massageclinic/two_factor_views.py \
	massageclinic/staff.py massageclinic/staff_views.py massageclinic/staff_forms.py \
	massageclinic/signin.py massageclinic/account.py massageclinic/password_required.py \
	massageclinic/templatetags massageclinic/management/commands/grant_app_role.py \
	clients/audit_log.py clients/views/audit_log.py clients/forms/audit_log.py \
	therapists \
	clients/services.py clients/client_services.py clients/intake_services.py \
	clients/referral_services.py clients/selectors.py clients/referral_selectors.py \
	clients/safety.py clients/access.py clients/modification_plans.py clients/history_reviews.py \
	clients/duplicates.py clients/merge.py clients/imports clients/tasks.py \
	massageclinic/durations.py massageclinic/errors.py massageclinic/form_fields.py massageclinic/form_renderer.py massageclinic/row_urls.py \
	massageclinic/reference.py \
	sessions/today.py sessions/scheduling/views/back.py sessions/messaging/waitlist_offers.py \
	sessions/access.py \
	$(addprefix sessions/scheduling/,rules.py arrival.py move.py schedules.py series_prefill.py booking.py paperwork.py waitlist.py documented.py openings.py series.py \
		calendar.py selectors.py visit_links.py safety_review.py technique.py screening.py \
		grid_html.py grid_visits.py schedule_sources.py refused.py batch.py) \
	$(addprefix sessions/treatment/,notes.py signature.py plans.py billing.py progress.py charts.py \
		superbill.py note_selectors.py selectors.py) \
	$(addprefix sessions/messaging/,outbox.py delivery.py selectors.py queue.py \
		render.py links.py ics.py ids.py smtp.py) \
	$(addprefix benchmarks/,build.py people.py measure.py explain.py load.py report.py run.py \
		bench_settings.py bench_urls.py)

.PHONY: run test setup bench lint typecheck format clean

run: setup
	$(PY) -m massageclinic.devstack run

test: setup
	$(PY) -m massageclinic.devstack test $(ARGS)

setup: $(STAMP_PY) $(STAMP_JS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP_PY): requirements.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(STAMP_JS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A busy practice built in bulk in its own database, measured; results go to
# docs/benchmarks.md. BENCH_SCALE=0.1 for a tenth of the rows (docs/benchmarks.md).
bench: setup
	$(PY) -m massageclinic.devstack bench

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# DJANGO_DEBUG=1 only lets the django-stubs plugin load the settings without a secret
# key or a database; nothing is served.
typecheck: setup
	DJANGO_DEBUG=1 $(VENV)/bin/mypy $(TYPECHECKED)

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules var/staticfiles
