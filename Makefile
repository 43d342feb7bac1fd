# The README's two commands: `make demo` and `make test`. Each sets up what is missing first.
SWIFT ?= swift
RELEASE_BIN = .build/release/cadence

.PHONY: bootstrap build release demo test bench clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release --product cadence

demo: release
	$(RELEASE_BIN) info clips/*.mp4 clips/*.webm clips/*.avi clips/*.mov clips/*.mkv clips/real/*.mp4
	$(RELEASE_BIN) classify --top-k 2 clips/actions/val/*/*-000.mp4
	$(RELEASE_BIN) speed clips/real/hand-cup.mp4 --plot .build/hand-cup-speed.svg

test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: bootstrap
	$(SWIFT) build -c release --product cadence
	$(SWIFT) build -c release --product cadence-bench
	scripts/bench

clean:
	rm -rf .build
