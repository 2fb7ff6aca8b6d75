"""The desktop app: a PySide6 window over `core`. Importing it never imports torch; the engine loads in a worker."""

ORGANIZATION = "shoebox-colorizer"
APPLICATION = "Shoebox Colorizer"
