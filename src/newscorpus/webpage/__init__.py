"""What news pages look like, read by the steps: metadata shown on the page (dates,
bylines), article text embedded in scripts, and the lines sites add to every article."""
