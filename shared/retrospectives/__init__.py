"""The retrospective: what worked, what fell short, why, the fix, its owner and date;
suggestions drawn from the campaign's own history; actions tracked as issues."""
