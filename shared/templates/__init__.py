"""Campaign templates: a plan's structure carried onto new dates, with the lessons learnt."""
