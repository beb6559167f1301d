# skema – the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
SKEMA = $(PYTHON) -m toolkit
FORMS = $(basename $(notdir $(wildcard samples/*.json)))

.PHONY: demo test install templates lint clean

install: .installed
.installed: pyproject.toml
	$(PIP) install -q -e '.[test]'
	@touch .installed

demo: install
	@mkdir -p ud
	@for form in $(FORMS); do \
	  $(SKEMA) fill $$form samples/$$form.json -o ud/$$form.docx --overwrite || exit 1; \
	  $(SKEMA) blank $$form -o ud/$$form-blank.docx --overwrite || exit 1; \
	  $(SKEMA) fill $$form samples/$$form.json -o ud/$$form.pdf --overwrite || exit 1; \
	  $(SKEMA) blank $$form -o ud/$$form-blank.pdf --overwrite || exit 1; \
	done
	@echo "== Excel: tom indtastningsbog, validering med rapport, én indsatsplan pr. borger"
	$(SKEMA) blank indsatsskema -o ud/indsatsplaner-tom.xlsx --overwrite
	-$(SKEMA) validate indsatsskema samples/indsatsplaner.xlsx \
	  --report ud/indsatsplaner-rapport.xlsx --overwrite
	-$(SKEMA) batch indsatsskema samples/indsatsplaner.xlsx -o ud/indsatsplaner --overwrite
	@echo "== Returnerede formularer samlet i ét regneark"
	-$(SKEMA) collect samples/returnerede -o ud/samlet.xlsx --overwrite
	@echo "== Samtykkearkivet"
	@rm -rf ud/samtykkearkiv
	$(SKEMA) consent init --archive ud/samtykkearkiv --key-file ud/samtykkenoegler/archive.key
	$(SKEMA) consent add ud/samtykke.pdf --archive ud/samtykkearkiv \
	  --key-file ud/samtykkenoegler/archive.key
	$(SKEMA) consent add samples/samtykker/scannet-samtykke.pdf --archive ud/samtykkearkiv \
	  --key-file ud/samtykkenoegler/archive.key \
	  --cpr 010190-1234 --navn "Hans Hansen" \
	  --purpose "Koordinering af beskæftigelsesindsats og behandling" \
	  --part "Jobcenter Aarhus:begge" --part "Misbrugscentret:begge" \
	  --valid-from 01-01-2025 --valid-to 31-12-2026
	$(SKEMA) consent list --archive ud/samtykkearkiv --key-file ud/samtykkenoegler/archive.key
	$(SKEMA) consent checkpoint --archive ud/samtykkearkiv \
	  --key-file ud/samtykkenoegler/archive.key -o ud/samtykke-kontrolpunkt.json --overwrite
	$(SKEMA) consent verify --archive ud/samtykkearkiv --key-file ud/samtykkenoegler/archive.key \
	  --checkpoint ud/samtykke-kontrolpunkt.json
	@echo "Færdig: formularer, indsatsplaner, samlet.xlsx og samtykkearkivet ligger i ud/"

test: install
	$(PYTHON) -m pytest -q -ra

templates: install
	$(SKEMA) templates build

lint: install
	ruff check toolkit tests bench

clean:
	rm -rf ud .installed .pytest_cache
