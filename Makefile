# Aliases for ./dev, which needs nothing but Python >= 3.11, git and bash.
.PHONY: run test lint install clean-data

run:
	./dev run

test:
	./dev test

lint:
	./dev lint

install:
	./dev install

clean-data:
	rm -rf .data
