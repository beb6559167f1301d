# skema – the two commands of the README: `make demo` and `make test`.
# Everything runs in the project's own virtual environment (.venv), so a system Python that
# refuses `pip install` (Debian, PEP 668) works too.
PYTHON ?= python3
VENV ?= .venv
PY = $(VENV)/bin/python
SKEMA = $(PY) -m toolkit
FORMS = $(basename $(notdir $(wildcard samples/*.json)))

# A demo step whose sample data holds deliberate mistakes: exit status 1 is the expected
# outcome (the problems are reported above it); anything else stops the demo.
define expect_problems
	@echo '$(1)'
	@rc=0; $(1) || rc=$$?; \
	if [ $$rc -eq 1 ]; then echo "   -> udfaldskode 1 som ventet: eksemplet har bevidste fejl (se ovenfor)"; \
	else echo "   -> forventede udfaldskode 1 (bevidste fejl i eksemplet), fik $$rc" >&2; exit 1; fi
endef

.PHONY: demo test install templates lint wheel wheel-check clean

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml package-lock.json
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Kunne ikke lave $(VENV)" \
	  "(Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@# axe-core (npm) for the web app's accessibility tests; skipped, with a reason, without npm
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	  else echo "npm mangler: web-appens tilgængelighedstest springes over"; fi
	@touch $@

# The demo's documents carry the fictitious municipality's name, logo and contacts.
demo: export SKEMA_PROFILE = samples/kommune.yaml
demo: install
	@echo "== Kommunens profil: $$SKEMA_PROFILE (Eksempel Kommune, opdigtet)"
	@mkdir -p ud
	@for form in $(FORMS); do \
	  $(SKEMA) fill $$form samples/$$form.json -o ud/$$form.docx --overwrite || exit 1; \
	  $(SKEMA) blank $$form -o ud/$$form-blank.docx --overwrite || exit 1; \
	  $(SKEMA) fill $$form samples/$$form.json -o ud/$$form.pdf --overwrite || exit 1; \
	  $(SKEMA) blank $$form -o ud/$$form-blank.pdf --overwrite || exit 1; \
	done
	@echo "== Excel: tom indtastningsbog, validering med rapport, én indsatsplan pr. borger"
	$(SKEMA) blank indsatsskema -o ud/indsatsplaner-tom.xlsx --overwrite
	$(call expect_problems,$(SKEMA) validate indsatsskema samples/indsatsplaner.xlsx --report ud/indsatsplaner-rapport.xlsx --overwrite)
	$(call expect_problems,$(SKEMA) batch indsatsskema samples/indsatsplaner.xlsx -o ud/indsatsplaner --overwrite)
	@echo "== Returnerede formularer samlet i ét regneark"
	$(call expect_problems,$(SKEMA) collect samples/returnerede -o ud/samlet.xlsx --overwrite)
	@echo "== Samtykkearkivet"
	@echo "   ud/samtykke.pdf er et gyldigt samtykke (1. november 2026 - 31. oktober 2028);"
	@echo "   det scannede samtykke gælder til 31. december 2027."
	@rm -rf ud/samtykkearkiv
	$(SKEMA) consent init --archive ud/samtykkearkiv --key-file ud/samtykkenoegler/archive.key
	$(SKEMA) consent add ud/samtykke.pdf --archive ud/samtykkearkiv \
	  --key-file ud/samtykkenoegler/archive.key
	$(SKEMA) consent add samples/samtykker/scannet-samtykke.pdf --archive ud/samtykkearkiv \
	  --key-file ud/samtykkenoegler/archive.key \
	  --cpr 010190-1234 --name "Hans Hansen" \
	  --purpose "Koordinering af beskæftigelsesindsats og behandling" \
	  --party "Jobcenter Eksempel:begge" --party "Misbrugscentret:begge" \
	  --valid-from 01-01-2026 --valid-to 31-12-2027
	$(SKEMA) consent list --archive ud/samtykkearkiv --key-file ud/samtykkenoegler/archive.key
	$(SKEMA) consent checkpoint --archive ud/samtykkearkiv \
	  --key-file ud/samtykkenoegler/archive.key -o ud/samtykke-kontrolpunkt.json --overwrite
	$(SKEMA) consent verify --archive ud/samtykkearkiv --key-file ud/samtykkenoegler/archive.key \
	  --checkpoint ud/samtykke-kontrolpunkt.json
	@echo "Færdig: formularer, indsatsplaner, samlet.xlsx og samtykkearkivet ligger i ud/"

test: install
	$(PY) -m pytest -q -ra

templates: install
	$(SKEMA) templates build

lint: install
	$(PY) -m ruff check toolkit tests bench
	$(PY) -m mypy toolkit

# The wheel (dist/), and the proof that it works on its own: .ci/wheel-check installs it
# into a fresh venv and runs skema from outside the checkout.
wheel: install
	rm -rf build dist
	$(PY) -m pip wheel -q --no-deps -w dist .

wheel-check: wheel
	.ci/wheel-check dist/skema-*.whl

clean:
	rm -rf ud build dist .installed .pytest_cache
