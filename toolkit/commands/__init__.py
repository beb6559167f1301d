"""Commands of the skema command line, one module each."""
