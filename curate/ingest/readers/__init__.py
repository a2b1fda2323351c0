"""One reader per source kind; each yields RawFile | SkipRecord and never raises for bad data."""
