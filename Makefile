# The two commands a newcomer needs (see README):
#   make demo   set everything up in .venv and run the main job on bundled material
#   make test   set everything up in .venv and run the test suite
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := work/demo

.PHONY: setup demo pipeline-demo test clean

setup:
	bash scripts/setup.sh

# the main job: the shipped model (default-real) hears the example mix; then the loudness engine reads its stems
demo: setup
	$(BIN)/mixbuddy advise examples/lithium/mix.ogg --anchor drums
	@echo; echo "Cross-check from the stems (loudness engine):"
	$(BIN)/mixbuddy advise examples/lithium/mix.ogg --stems examples/lithium/stems --anchor drums

pipeline-demo: setup
	$(BIN)/mixbuddy corpus synth -o $(DEMO)/corpus --songs 3 --seconds 30 --seed 0
	$(BIN)/mixbuddy data build --kind musdb_hq --root $(DEMO)/corpus -o $(DEMO)/dataset
	$(BIN)/mixbuddy data stats $(DEMO)/dataset
	$(BIN)/mixbuddy data render --dataset $(DEMO)/dataset/test.jsonl --index 0 -o $(DEMO)/flawed_mix.wav

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf work/demo .pytest_cache
