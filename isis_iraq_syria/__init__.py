"""isis-iraq-syria: a curated data package of Islamic State activity in Iraq and Syria and the response to it."""
