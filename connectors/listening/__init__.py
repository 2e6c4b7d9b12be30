"""Social-listening helpers shared by the feed connector and the export import: the mention
filter (is an item about the province, which commune) and text/link/date normalisation."""
