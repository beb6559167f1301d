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
	@echo "Færdig: de udfyldte og tomme formularer ligger i ud/"

test: install
	$(PYTHON) -m pytest -q -ra

templates: install
	$(SKEMA) templates build

lint: install
	ruff check toolkit tests bench

clean:
	rm -rf ud .installed .pytest_cache
